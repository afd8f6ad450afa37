import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import type { Kysely } from 'kysely';
import type { Database } from '../../lib/db/types';
import { redactSecrets } from '../../lib/logger';
import {
  Vault,
  VaultError,
  credentialAad,
  generateMasterKey,
  loadMasterKeys,
  masterKey,
  parseMasterKey,
  resolveCredential,
  type MasterKey,
} from '../../lib/vault';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlc-vault-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** encrypt/decrypt never touch the database, so these tests give the vault none. */
function vaultWith(current: MasterKey, previous: MasterKey[] = []): Vault {
  return new Vault({ db: {} as Kysely<Database>, keys: { current, previous } });
}

describe('master keys', () => {
  it('parse base64, base64url and hex of 32 bytes; key id is 16 hex of SHA-256', () => {
    const bytes = randomBytes(32);
    const k = parseMasterKey(bytes.toString('base64'), 'X');
    assert.deepEqual(k.key, bytes);
    assert.match(k.id, /^[0-9a-f]{16}$/);
    assert.equal(parseMasterKey(bytes.toString('hex'), 'X').id, k.id);
    assert.equal(parseMasterKey(bytes.toString('base64url'), 'X').id, k.id);
    assert.equal(parseMasterKey(` ${bytes.toString('base64')}\n`, 'X').id, k.id);
  });

  it('reject anything else without echoing it', () => {
    for (const bad of [
      '',
      'short',
      randomBytes(16).toString('base64'),
      randomBytes(31).toString('hex'),
      'z'.repeat(64),
    ]) {
      assert.throws(
        () => parseMasterKey(bad, 'MLC_MASTER_KEY'),
        (err: Error) => {
          assert.ok(err instanceof VaultError);
          assert.match(
            err.message,
            /^MLC_MASTER_KEY is not a 32-byte key in base64 or hex \(generate one with/,
          );
          if (bad.length > 5) assert.ok(!err.message.includes(bad));
          return true;
        },
      );
    }
  });

  it('come from MLC_MASTER_KEY and MLC_MASTER_KEY_PREVIOUS when set', () => {
    const cur = generateMasterKey();
    const p1 = generateMasterKey();
    const p2 = generateMasterKey();
    const loaded = loadMasterKeys({
      keyFile: path.join(tmp, 'unused', 'master.key'),
      env: {
        MLC_MASTER_KEY: cur.key.toString('base64'),
        MLC_MASTER_KEY_PREVIOUS: `${p1.key.toString('hex')}, ${p2.key.toString('base64')}`,
      },
    });
    assert.equal(loaded.source, 'env');
    assert.equal(loaded.keys.current.id, cur.id);
    assert.deepEqual(
      loaded.keys.previous.map((k) => k.id),
      [p1.id, p2.id],
    );
    assert.equal(fs.existsSync(path.join(tmp, 'unused')), false, 'no key file is created in env mode');
  });

  it('create the key file on first run with mode 0600 (and its directory), then reuse it', () => {
    const keyFile = path.join(tmp, 'fresh', 'nested', 'master.key');
    const first = loadMasterKeys({ keyFile, env: {} });
    assert.equal(first.created, true);
    assert.equal(first.source, 'file');
    assert.equal(fs.statSync(keyFile).mode & 0o777, 0o600);
    assert.equal(fs.statSync(path.dirname(keyFile)).mode & 0o077, 0, 'directory is private');
    const again = loadMasterKeys({ keyFile, env: {} });
    assert.equal(again.created, false);
    assert.equal(again.keys.current.id, first.keys.current.id);
    assert.deepEqual(fs.readdirSync(path.dirname(keyFile)), ['master.key'], 'no temp files left behind');
  });

  it('refuse a key file readable by group or others, with the chmod fix', () => {
    const keyFile = path.join(tmp, 'loose.key');
    fs.writeFileSync(keyFile, generateMasterKey().key.toString('base64') + '\n', { mode: 0o644 });
    fs.chmodSync(keyFile, 0o644);
    assert.throws(
      () => loadMasterKeys({ keyFile, env: {} }),
      new RegExp(
        `master key file ${keyFile} is readable by group or others \\(mode 0644\\); run: chmod 600 ${keyFile}$`,
      ),
    );
    fs.chmodSync(keyFile, 0o600);
    assert.doesNotThrow(() => loadMasterKeys({ keyFile, env: {} }));
  });

  it('read previous keys from <keyFile>.previous', () => {
    const keyFile = path.join(tmp, 'ring.key');
    const cur = generateMasterKey();
    const old = generateMasterKey();
    fs.writeFileSync(keyFile, cur.key.toString('base64') + '\n', { mode: 0o600 });
    fs.writeFileSync(`${keyFile}.previous`, old.key.toString('hex') + '\n', { mode: 0o600 });
    const loaded = loadMasterKeys({ keyFile, env: {} });
    assert.equal(loaded.keys.current.id, cur.id);
    assert.deepEqual(
      loaded.keys.previous.map((k) => k.id),
      [old.id],
    );
  });

  it('masterKey refuses a key of the wrong size', () => {
    assert.throws(() => masterKey(randomBytes(16)), /must be 32 bytes/);
  });
});

describe('encrypt / decrypt', () => {
  const key = generateMasterKey();

  it('round-trips with AES-256-GCM, a fresh IV each time', () => {
    const v = vaultWith(key);
    const a = v.encrypt('s3cret-value', credentialAad('a'));
    const b = v.encrypt('s3cret-value', credentialAad('a'));
    assert.equal(a.keyId, key.id);
    assert.equal(a.iv.length, 12);
    assert.equal(a.authTag.length, 16);
    assert.notDeepEqual(a.iv, b.iv);
    assert.notDeepEqual(a.ciphertext, b.ciphertext);
    assert.ok(!a.ciphertext.includes(Buffer.from('s3cret-value')));
    assert.equal(v.decrypt(a, credentialAad('a')), 's3cret-value');
  });

  it('registers decrypted values so logs mask them', () => {
    const v = vaultWith(key);
    const secret = `masked-${randomBytes(6).toString('hex')}`;
    const sealed = v.encrypt(secret, 'x');
    assert.equal(redactSecrets(`token=${secret}`), `token=${secret}`);
    v.decrypt(sealed, 'x');
    assert.equal(redactSecrets(`token=${secret}`), 'token=[redacted]');
  });

  it('fails with the wrong key, even when it claims the right key id', () => {
    const sealed = vaultWith(key).encrypt('value', 'aad');
    const other = generateMasterKey();
    assert.throws(
      () => vaultWith(other).decrypt(sealed, 'aad'),
      /was encrypted with master key .* not in the keyring/,
    );
    const impostor: MasterKey = { id: key.id, key: other.key };
    assert.throws(
      () => vaultWith(impostor).decrypt(sealed, 'aad', 'credential "r"'),
      /credential "r" cannot be decrypted/,
    );
  });

  it('binds the ciphertext to its AAD and detects tampering', () => {
    const v = vaultWith(key);
    const sealed = v.encrypt('value', credentialAad('fedex.clientSecret'));
    assert.throws(() => v.decrypt(sealed, credentialAad('plex.apiKey')), VaultError);
    const flipped = Buffer.from(sealed.ciphertext);
    flipped[0] = flipped[0]! ^ 1;
    assert.throws(
      () => v.decrypt({ ...sealed, ciphertext: flipped }, credentialAad('fedex.clientSecret')),
      VaultError,
    );
    assert.throws(
      () =>
        v.decrypt({ ...sealed, authTag: sealed.authTag.subarray(0, 8) }, credentialAad('fedex.clientSecret')),
      VaultError,
      'a truncated tag is refused',
    );
  });

  it('decrypts rows of a previous key through the keyring', () => {
    const old = generateMasterKey();
    const sealed = vaultWith(old).encrypt('legacy', 'aad');
    assert.equal(vaultWith(key, [old]).decrypt(sealed, 'aad'), 'legacy');
  });
});

describe('resolveCredential', () => {
  const v = vaultWith(generateMasterKey());

  it('reads env: references and names a missing variable', async () => {
    assert.equal(
      await resolveCredential('env:MY_SECRET', { vault: v, env: { MY_SECRET: 'abc123' } }),
      'abc123',
    );
    await assert.rejects(
      resolveCredential('env:NOPE', { vault: v, env: {} }),
      /environment variable NOPE .* is not set/,
    );
  });

  it('refuses a literal without echoing it', async () => {
    await assert.rejects(resolveCredential('hunter2', { vault: v, env: {} }), (err: Error) => {
      assert.match(err.message, /not a credential reference/);
      assert.ok(!err.message.includes('hunter2'));
      return true;
    });
  });
});

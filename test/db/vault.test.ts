import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, it } from 'node:test';
import path from 'node:path';
import type { Kysely } from 'kysely';
import type { Database } from '../../lib/db/types';
import {
  Vault,
  VaultError,
  generateMasterKey,
  loadMasterKeys,
  openVault,
  resolveCredential,
  tokenAad,
  type MasterKey,
} from '../../lib/vault';
import { forEachDatabase, makeTempDir, uniqueName } from '../helpers/db';

const temp = makeTempDir('mlc-vault-db-');
after(() => temp.remove());

async function insertToken(db: Kysely<Database>, vault: Vault, connection: string, value: string) {
  const s = vault.encrypt(value, tokenAad(connection, 'access'));
  await db
    .insertInto('oauth_tokens')
    .values({
      connection,
      kind: 'access',
      key_id: s.keyId,
      iv: s.iv,
      ciphertext: s.ciphertext,
      auth_tag: s.authTag,
    })
    .execute();
}

async function readToken(db: Kysely<Database>, vault: Vault, connection: string): Promise<string> {
  const row = await db
    .selectFrom('oauth_tokens')
    .selectAll()
    .where('connection', '=', connection)
    .executeTakeFirstOrThrow();
  return vault.decrypt(
    { keyId: row.key_id, iv: row.iv, ciphertext: row.ciphertext, authTag: row.auth_tag },
    tokenAad(connection, 'access'),
  );
}

forEachDatabase('Vault', (getDb) => {
  const key = generateMasterKey();
  const vault = (k: MasterKey = key, previous: MasterKey[] = []) =>
    new Vault({ db: getDb().db, keys: { current: k, previous } });

  it('stores encrypted values and reads them back; overwrite updates', async () => {
    const ref = `${uniqueName('fedex')}.clientSecret`;
    await vault().set(ref, 'first-secret');
    const row = await getDb()
      .db.selectFrom('credentials')
      .selectAll()
      .where('ref', '=', ref)
      .executeTakeFirstOrThrow();
    assert.equal(row.key_id, key.id);
    assert.ok(!row.ciphertext.includes(Buffer.from('first-secret')), 'no plaintext at rest');
    assert.equal(await vault().get(ref), 'first-secret');
    await vault().set(ref, 'second-secret');
    assert.equal(await vault().get(ref), 'second-secret');
  });

  it('names the ref, never a value, when a credential is missing or undecryptable', async () => {
    await assert.rejects(
      vault().get('nobody.here'),
      /no credential "nobody\.here" in the vault \(store it with: ml-connector secrets set nobody\.here\)/,
    );
    const ref = `${uniqueName('plex')}.apiKey`;
    await vault().set(ref, 'value-that-must-not-leak');
    const wrong = generateMasterKey();
    await assert.rejects(vault({ ...wrong, id: key.id }).get(ref), (err: Error) => {
      assert.ok(err instanceof VaultError);
      assert.match(err.message, new RegExp(`credential "${ref.replace('.', '\\.')}" cannot be decrypted`));
      assert.ok(!err.message.includes('value-that-must-not-leak'));
      return true;
    });
    await assert.rejects(vault(wrong).get(ref), /not in the keyring/);
  });

  it('binds a ciphertext to its ref: a row copied to another ref does not decrypt', async () => {
    const a = `${uniqueName('a')}.secret`;
    const b = `${uniqueName('b')}.secret`;
    await vault().set(a, 'secret-a');
    await vault().set(b, 'secret-b');
    const rowA = await getDb()
      .db.selectFrom('credentials')
      .selectAll()
      .where('ref', '=', a)
      .executeTakeFirstOrThrow();
    await getDb()
      .db.updateTable('credentials')
      .set({ iv: rowA.iv, ciphertext: rowA.ciphertext, auth_tag: rowA.auth_tag })
      .where('ref', '=', b)
      .execute();
    await assert.rejects(vault().get(b), /cannot be decrypted/);
    assert.equal(await vault().get(a), 'secret-a');
  });

  it('lists refs, key ids and dates but never values; delete removes', async () => {
    const ref = `${uniqueName('list')}.token`;
    await vault().set(ref, 'listed-secret-value');
    const entries = await vault().list();
    const entry = entries.find((e) => e.ref === ref);
    assert.ok(entry);
    assert.equal(entry.keyId, key.id);
    assert.ok(entry.updatedAt instanceof Date);
    assert.deepEqual(Object.keys(entry).sort(), ['createdAt', 'keyId', 'ref', 'updatedAt']);
    assert.ok(!JSON.stringify(entries).includes('listed-secret-value'));
    assert.equal(await vault().delete(ref), true);
    assert.equal(await vault().delete(ref), false);
    await assert.rejects(vault().get(ref), /no credential/);
  });

  it('refuses an invalid ref or an empty value', async () => {
    await assert.rejects(vault().set('bad ref', 'x'), /not a valid credential ref/);
    await assert.rejects(vault().set('ok.ref', ''), /is empty/);
  });

  it('resolves vault: references', async () => {
    const ref = `${uniqueName('res')}.key`;
    await vault().set(ref, 'resolved-value');
    assert.equal(await resolveCredential(`vault:${ref}`, { vault: vault(), env: {} }), 'resolved-value');
  });

  it('rotate re-encrypts every credential and token; old ciphertexts still decrypt through the keyring', async () => {
    const db = getDb().db;
    const old = generateMasterKey();
    const v = vault(old);
    await db.deleteFrom('credentials').execute();
    await db.deleteFrom('oauth_tokens').execute();
    await v.set('rot.one', 'value-one');
    await v.set('rot.two', 'value-two');
    const conn = uniqueName('exact');
    await insertToken(db, v, conn, 'refresh-token-value');
    const oldSealed = v.encrypt('kept-elsewhere', 'other-table');

    const next = generateMasterKey();
    assert.equal(await v.rotate(next), 3);
    assert.equal(v.currentKeyId, next.id);
    const ids = await db.selectFrom('credentials').select('key_id').execute();
    assert.deepEqual(
      ids.map((r) => r.key_id),
      [next.id, next.id],
    );
    const onlyNew = vault(next);
    assert.equal(await onlyNew.get('rot.one'), 'value-one');
    assert.equal(await onlyNew.get('rot.two'), 'value-two');
    assert.equal(await readToken(db, onlyNew, conn), 'refresh-token-value');
    // A value sealed with the old key outside these tables still opens via the keyring.
    assert.equal(v.decrypt(oldSealed, 'other-table'), 'kept-elsewhere');
    assert.throws(() => onlyNew.decrypt(oldSealed, 'other-table'), /not in the keyring/);
  });

  it('rotate is all or nothing: one undecryptable row leaves every row as it was', async () => {
    const db = getDb().db;
    await db.deleteFrom('credentials').execute();
    await db.deleteFrom('oauth_tokens').execute();
    const lost = generateMasterKey();
    await vault().set('atomic.a', 'value-a');
    await vault(lost).set('atomic.z', 'value-z'); // sealed with a key the vault does not hold
    const before = await db.selectFrom('credentials').selectAll().orderBy('ref').execute();
    await assert.rejects(vault().rotate(generateMasterKey()), /atomic\.z.*not in the keyring/);
    const afterRows = await db.selectFrom('credentials').selectAll().orderBy('ref').execute();
    assert.deepEqual(afterRows, before);
    assert.equal(await vault().get('atomic.a'), 'value-a');
  });

  it('rotateKeyFile writes the new key, keeps the old one in .previous and re-encrypts', async () => {
    const db = getDb().db;
    await db.deleteFrom('credentials').execute();
    await db.deleteFrom('oauth_tokens').execute();
    const keyFile = path.join(temp.dir, uniqueName('keys'), 'master.key');
    const v1 = await openVault(db, { vault: { keyFile } }, {});
    const firstId = v1.currentKeyId;
    await v1.set('file.secret', 'file-secret-value');

    const { keyId, rows } = await v1.rotateKeyFile();
    assert.equal(rows, 1);
    assert.notEqual(keyId, firstId);
    assert.equal(fs.statSync(keyFile).mode & 0o777, 0o600);
    assert.equal(fs.statSync(`${keyFile}.previous`).mode & 0o777, 0o600);
    const loaded = loadMasterKeys({ keyFile, env: {} });
    assert.equal(loaded.keys.current.id, keyId);
    assert.deepEqual(
      loaded.keys.previous.map((k) => k.id),
      [firstId],
    );

    const v2 = await openVault(db, { vault: { keyFile } }, {});
    assert.equal(await v2.get('file.secret'), 'file-secret-value');
    const row = await db
      .selectFrom('credentials')
      .select('key_id')
      .where('ref', '=', 'file.secret')
      .executeTakeFirstOrThrow();
    assert.equal(row.key_id, keyId);

    // A second rotation keeps both older keys.
    await v2.rotateKeyFile();
    assert.equal(loadMasterKeys({ keyFile, env: {} }).keys.previous.length, 2);
  });

  it('rotateKeyFile refuses when the key comes from MLC_MASTER_KEY', async () => {
    const env = { MLC_MASTER_KEY: generateMasterKey().key.toString('base64') };
    const v = await openVault(getDb().db, { vault: { keyFile: path.join(temp.dir, 'unused.key') } }, env);
    await assert.rejects(v.rotateKeyFile(), /does not come from a key file/);
  });
});

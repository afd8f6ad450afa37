import assert from 'node:assert/strict';
import path from 'node:path';
import { after, beforeEach, it } from 'node:test';
import { secretsCommand } from '../../clients/cli/secrets';
import { generateMasterKey, loadMasterKeys, openVault, Vault } from '../../lib/vault';
import { forEachDatabase, makeTempDir, uniqueName } from '../helpers/db';

const temp = makeTempDir('mlc-secrets-cli-');
after(() => temp.remove());

forEachDatabase('secrets command', (getDb) => {
  let keyFile = '';
  let vault: Vault;

  beforeEach(async () => {
    await getDb().db.deleteFrom('credentials').execute();
    keyFile = path.join(temp.dir, uniqueName('k'), 'master.key');
    vault = await openVault(getDb().db, { vault: { keyFile } }, {});
  });

  /** Runs the command and returns its exit code with everything it printed. */
  async function run(argv: string[], stdin = '', env: NodeJS.ProcessEnv = {}, v: Vault = vault) {
    const lines: string[] = [];
    const code = await secretsCommand(argv, {
      vault: v,
      out: (l) => lines.push(l),
      readStdin: async () => stdin,
      env,
    });
    return { code, lines, text: lines.join('\n') };
  }

  it('set reads the value from stdin by default, without its trailing newline', async () => {
    const r = await run(['set', 'fedex-demo.clientSecret'], 'stdin-secret-value\n');
    assert.equal(r.code, 0);
    assert.match(r.text, /^stored fedex-demo\.clientSecret \(master key [0-9a-f]{16}\)$/);
    assert.ok(!r.text.includes('stdin-secret-value'));
    assert.equal(await vault.get('fedex-demo.clientSecret'), 'stdin-secret-value');
    assert.equal((await run(['set', '--stdin', 'x.y'], 'explicit\r\n')).code, 0);
    assert.equal(await vault.get('x.y'), 'explicit');
  });

  it('set --from-env reads a variable', async () => {
    const r = await run(['set', 'plex-demo.apiKey', '--from-env', 'PLEX_KEY'], '', {
      PLEX_KEY: 'env-secret-value',
    });
    assert.equal(r.code, 0);
    assert.equal(await vault.get('plex-demo.apiKey'), 'env-secret-value');
    assert.equal((await run(['set', 'a.b', '--from-env=PLEX_KEY'], '', { PLEX_KEY: 'v2-secret' })).code, 0);
    assert.equal(await vault.get('a.b'), 'v2-secret');
    const missing = await run(['set', 'a.b', '--from-env', 'NOT_SET'], '', {});
    assert.equal(missing.code, 1);
    assert.match(missing.text, /environment variable NOT_SET is not set/);
  });

  it('set refuses a value given on the command line, without echoing it', async () => {
    const r = await run(['set', 'fedex-demo.clientSecret', 'argv-secret-value']);
    assert.equal(r.code, 2);
    assert.match(r.lines[0]!, /takes no value on the command line \(it would stay in shell history\)/);
    assert.ok(!r.text.includes('argv-secret-value'));
    assert.deepEqual(await vault.list(), []);
  });

  it('set refuses empty stdin, a missing ref and unknown options', async () => {
    assert.equal((await run(['set', 'a.b'], '\n')).code, 1);
    assert.equal((await run(['set'], 'v')).code, 2);
    assert.equal((await run(['set', 'a.b', '--value', 'v'])).code, 2);
    assert.equal((await run(['set', 'a.b', '--stdin', '--from-env', 'X'])).code, 2);
    assert.deepEqual(await vault.list(), []);
  });

  it('list prints refs and key ids, never values', async () => {
    assert.match((await run(['list'])).text, /no credentials in the vault/);
    await run(['set', 'one.ref'], 'list-secret-1');
    await run(['set', 'two.ref'], 'list-secret-2');
    const r = await run(['list']);
    assert.equal(r.code, 0);
    assert.match(r.lines[0]!, /^REF\s+KEY\s+UPDATED$/);
    assert.match(r.lines[1]!, new RegExp(`^one\\.ref\\s+${vault.currentKeyId}\\s+\\d{4}-\\d\\d-\\d\\dT`));
    assert.equal(r.lines.length, 3);
    assert.ok(!r.text.includes('list-secret'));
  });

  it('delete removes a credential and fails for an unknown one', async () => {
    await run(['set', 'gone.ref'], 'v-to-delete');
    assert.deepEqual(await run(['delete', 'gone.ref']), {
      code: 0,
      lines: ['deleted gone.ref'],
      text: 'deleted gone.ref',
    });
    const again = await run(['delete', 'gone.ref']);
    assert.equal(again.code, 1);
    assert.match(again.text, /no credential "gone\.ref"/);
  });

  it('rotate writes a new key file, keeps the old key and re-encrypts', async () => {
    await run(['set', 'rot.ref'], 'rotated-secret');
    const oldId = vault.currentKeyId;
    const r = await run(['rotate']);
    assert.equal(r.code, 0, r.text);
    assert.match(
      r.lines[0]!,
      /^new master key [0-9a-f]{16} written to .*master\.key; 1 row\(s\) re-encrypted$/,
    );
    const loaded = loadMasterKeys({ keyFile, env: {} });
    assert.notEqual(loaded.keys.current.id, oldId);
    assert.deepEqual(
      loaded.keys.previous.map((k) => k.id),
      [oldId],
    );
    const reopened = new Vault({ db: getDb().db, keys: { current: loaded.keys.current, previous: [] } });
    assert.equal(await reopened.get('rot.ref'), 'rotated-secret');
  });

  it('rotate with MLC_MASTER_KEY prints instructions, then re-seals once a previous key is given', async () => {
    const first = generateMasterKey();
    const envFirst = { MLC_MASTER_KEY: first.key.toString('base64') };
    const v1 = await openVault(getDb().db, { vault: { keyFile } }, envFirst);
    await run(['set', 'env.ref'], 'env-mode-secret', {}, v1);
    const instructions = await run(['rotate'], '', {}, v1);
    assert.equal(instructions.code, 0);
    assert.match(instructions.text, /MLC_MASTER_KEY_PREVIOUS to the current MLC_MASTER_KEY value/);
    assert.match(instructions.text, /openssl rand -base64 32/);

    const second = generateMasterKey();
    const envSecond = {
      MLC_MASTER_KEY: second.key.toString('hex'),
      MLC_MASTER_KEY_PREVIOUS: first.key.toString('base64'),
    };
    const v2 = await openVault(getDb().db, { vault: { keyFile } }, envSecond);
    const r = await run(['rotate'], '', {}, v2);
    assert.match(r.text, new RegExp(`^1 row\\(s\\) re-encrypted with master key ${second.id}`));
    const onlySecond = new Vault({ db: getDb().db, keys: { current: second, previous: [] } });
    assert.equal(await onlySecond.get('env.ref'), 'env-mode-secret');
  });

  it('prints usage for an unknown or missing subcommand', async () => {
    assert.equal((await run([])).code, 2);
    const r = await run(['show', 'a.b']);
    assert.equal(r.code, 2);
    assert.match(r.lines[0]!, /unknown secrets command "show"/);
    assert.equal((await run(['list', 'extra'])).code, 2);
  });
});

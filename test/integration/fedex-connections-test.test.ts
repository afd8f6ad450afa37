import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, it } from 'node:test';
import { connectionsTestCommand, testConnection, type ConnectionTester } from '../../clients/cli/connections';
import { loadConfig, type Config } from '../../clients/config';
import { createLogger } from '../../lib/logger';
import { generateMasterKey, Vault } from '../../lib/vault';
import { DEMO_CLIENT, startFedexSimulator, type FedexSimulator } from '../../simulators/fedex';
import { forEachDatabase, makeTempDir } from '../helpers/db';

const log = createLogger({ level: 'silent' });
const ACCOUNT = DEMO_CLIENT.accounts[0]!;

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

forEachDatabase('ml-connector connections test <fedex connection>', (getDb) => {
  let sim: FedexSimulator;
  let vault: Vault;
  let config: Config;
  let tmp: { dir: string; remove: () => void };
  const env = { FX_ID: DEMO_CLIENT.clientId, FX_BAD_SECRET: 'not-the-secret' };

  before(async () => {
    sim = await startFedexSimulator({ authThrottle: { limit: 100, windowSeconds: 1 } });
    vault = new Vault({ db: getDb().db, keys: { current: generateMasterKey(), previous: [] } });
    await vault.set('fx.secret', DEMO_CLIENT.clientSecret);
    tmp = makeTempDir('mlc-conn-test-');
    const fedex = (baseUrl: string, secret: string, accountNumber = ACCOUNT) => ({
      system: 'fedex',
      baseUrl,
      simulator: 'never',
      credentials: { clientId: 'env:FX_ID', clientSecret: secret },
      settings: { accountNumber },
    });
    const file = path.join(tmp.dir, 'config.json');
    fs.writeFileSync(
      file,
      JSON.stringify({
        dataDir: tmp.dir,
        connections: {
          'fx-good': fedex(sim.url, 'vault:fx.secret'),
          'fx-bad-creds': fedex(sim.url, 'env:FX_BAD_SECRET'),
          'fx-unknown-account': fedex(sim.url, 'vault:fx.secret', '123456789'),
          'fx-down': fedex(`http://127.0.0.1:${await closedPort()}`, 'vault:fx.secret'),
          'fx-no-secret': fedex(sim.url, 'vault:fx.missing'),
          'plex-x': {
            system: 'plex',
            baseUrl: 'https://connect.plex.com',
            credentials: { apiKey: 'env:PLEX_KEY' },
          },
          'exact-x': {
            system: 'exact',
            credentials: { clientId: 'env:EXACT_ID', clientSecret: 'env:EXACT_SECRET' },
          },
        },
      }),
    );
    config = loadConfig({ file, env: {}, cwd: tmp.dir });
  });
  after(async () => {
    await sim.stop();
    tmp.remove();
  });

  async function test(
    name: string,
    testers?: Record<string, ConnectionTester>,
  ): Promise<{ code: number; lines: string[] }> {
    const lines: string[] = [];
    const code = await connectionsTestCommand(name, {
      config,
      db: getDb().db,
      vault,
      log,
      env,
      out: (l) => lines.push(l),
      timeoutMs: 2000,
      ...(testers ? { testers } : {}),
    });
    return { code, lines };
  }

  it('good credentials and account: one ok line, exit 0', async () => {
    const r = await test('fx-good');
    assert.equal(r.code, 0);
    assert.equal(r.lines.length, 1);
    assert.match(r.lines[0]!, /^ok {4}fx-good \(fedex\): credentials and account …1073 accepted$/);
  });

  it('bad credentials: says so, exit 1, and never prints the secret', async () => {
    const r = await test('fx-bad-creds');
    assert.equal(r.code, 1);
    assert.match(r.lines[0]!, /^FAIL {2}fx-bad-creds \(fedex\): bad_credentials: /);
    assert.ok(!r.lines.join('\n').includes(env.FX_BAD_SECRET));
  });

  it('an account the credentials may not use: unknown_account', async () => {
    const r = await test('fx-unknown-account');
    assert.equal(r.code, 1);
    assert.match(r.lines[0]!, /^FAIL {2}fx-unknown-account \(fedex\): unknown_account: .*…6789/);
  });

  it('nothing listening: unreachable, naming the URL', async () => {
    const r = await test('fx-down');
    assert.equal(r.code, 1);
    assert.match(
      r.lines[0]!,
      /^FAIL {2}fx-down \(fedex\): unreachable: cannot reach http:\/\/127\.0\.0\.1:\d+/,
    );
  });

  it('a credential missing from the vault: says which one and how to store it', async () => {
    const r = await test('fx-no-secret');
    assert.equal(r.code, 1);
    assert.match(r.lines[0]!, /credentials\.clientSecret: .*fx\.missing.*secrets set/);
  });

  it("the running app's live view (simulator or demo override) replaces config and vault", async () => {
    const result = await testConnection('fx-no-secret', {
      config,
      db: getDb().db,
      vault,
      log,
      env,
      live: () => ({
        baseUrl: sim.url,
        credentials: { clientId: DEMO_CLIENT.clientId, clientSecret: DEMO_CLIENT.clientSecret },
      }),
    });
    assert.deepEqual(result, { ok: true, reason: 'ok', message: 'credentials and account …1073 accepted' });
  });

  it('a lockout recorded by the workers: locked_out without a token request', async () => {
    const requests = sim.counters().tokenRequestsByClient[DEMO_CLIENT.clientId] ?? 0;
    sim.lockout({ clientId: DEMO_CLIENT.clientId, seconds: 600 });
    const first = await test('fx-good');
    assert.equal(first.code, 1);
    assert.match(first.lines[0]!, /: locked_out: /);
    assert.equal(sim.counters().tokenRequestsByClient[DEMO_CLIENT.clientId], requests + 1);
    const second = await test('fx-good');
    assert.match(second.lines[0]!, /: locked_out: .*locked this connection out until/);
    assert.equal(sim.counters().tokenRequestsByClient[DEMO_CLIENT.clientId], requests + 1);
  });

  it('unknown names and systems without a tester fail clearly; other systems plug in a tester', async () => {
    const unknown = await test('nope');
    assert.equal(unknown.code, 1);
    assert.match(unknown.lines[0]!, /no connection with that name \(configured: .*fx-good/);
    const exact = await test('exact-x');
    assert.equal(exact.code, 1);
    assert.match(
      exact.lines[0]!,
      /FAIL {2}exact-x \(exact\): error: no connection test exists for exact yet/,
    );
    const plex = await test('plex-x');
    assert.equal(plex.code, 1);
    assert.match(
      plex.lines[0]!,
      /FAIL {2}plex-x \(plex\): bad_key: credentials\.apiKey: environment variable PLEX_KEY/,
    );
    const plugged = await test('plex-x', {
      plex: async (ctx) => ({ ok: true, reason: 'ok', message: `tested ${ctx.name}` }),
    });
    assert.deepEqual(plugged, { code: 0, lines: ['ok    plex-x (plex): tested plex-x'] });
  });
});

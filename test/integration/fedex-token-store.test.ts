import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { sql } from 'kysely';
import { FedexClient } from '../../connectors/fedex/client';
import { FedexRateLimitError } from '../../connectors/fedex/errors';
import { fedexRateLimits } from '../../connectors/fedex/carrier';
import { DbTokenStore } from '../../connectors/kit/tokens';
import { createLogger } from '../../lib/logger';
import { PostgresWindowLimiter, unlimited, type LimiterClock, type RateLimiter } from '../../lib/ratelimit';
import { generateMasterKey, Vault } from '../../lib/vault';
import { DEMO_CLIENT, startFedexSimulator, type FedexSimulator } from '../../simulators/fedex';
import { forEachDatabase, uniqueName, type TestDatabase } from '../helpers/db';

const log = createLogger({ level: 'silent' });
const ACCOUNT = DEMO_CLIENT.accounts[0]!;
const UNKNOWN_NUMBER = '999999999999';

forEachDatabase('FedEx tokens in the database', (getDb) => {
  let sim: FedexSimulator;
  let vault: Vault;

  before(async () => {
    sim = await startFedexSimulator({ authThrottle: { limit: 100, windowSeconds: 1 } });
    vault = new Vault({ db: getDb().db, keys: { current: generateMasterKey(), previous: [] } });
  });
  after(async () => {
    await sim.stop();
  });

  const tokenRequests = () => sim.counters().tokenRequestsByClient[DEMO_CLIENT.clientId] ?? 0;

  /** One "worker process": its own token store (no shared memory) and client. */
  function worker(
    db: TestDatabase,
    connection: string,
    opts: { now?: () => Date; limiter?: RateLimiter } = {},
  ): { client: FedexClient; store: DbTokenStore } {
    const store = new DbTokenStore({ db: db.db, vault, now: opts.now, pollMs: 20 });
    const client = new FedexClient({
      connection,
      baseUrl: sim.url,
      clientId: DEMO_CLIENT.clientId,
      clientSecret: DEMO_CLIENT.clientSecret,
      accountNumber: ACCOUNT,
      tokenStore: store,
      limiter: opts.limiter ?? unlimited,
      timeoutMs: 5000,
      log,
      now: opts.now,
    });
    return { client, store };
  }

  it('N concurrent workers share exactly one token request', async () => {
    const conn = uniqueName('fx');
    const before = tokenRequests();
    const workers = Array.from({ length: 8 }, () => worker(getDb(), conn));
    const results = await Promise.all(workers.map((w) => w.client.track([UNKNOWN_NUMBER])));
    assert.equal(tokenRequests() - before, 1);
    for (const r of results) assert.equal(r.errors[0]?.code, 'TRACKING.TRACKINGNUMBER.NOTFOUND');
    // A later call reuses the stored token.
    await worker(getDb(), conn).client.track([UNKNOWN_NUMBER]);
    assert.equal(tokenRequests() - before, 1);
  });

  it('an expired token is renewed once, however many workers notice', async () => {
    const conn = uniqueName('fx');
    let nowMs = Date.now();
    const now = () => new Date(nowMs);
    await worker(getDb(), conn, { now }).client.track([UNKNOWN_NUMBER]);
    const before = tokenRequests();
    nowMs += 3600_000; // the hour has passed
    await Promise.all(
      Array.from({ length: 6 }, () => worker(getDb(), conn, { now }).client.track([UNKNOWN_NUMBER])),
    );
    assert.equal(tokenRequests() - before, 1);
    // 59 of the next 60 minutes: still the same token.
    nowMs += 58 * 60_000;
    await worker(getDb(), conn, { now }).client.track([UNKNOWN_NUMBER]);
    assert.equal(tokenRequests() - before, 1);
  });

  it('a 401 renews the token once across concurrent workers', async () => {
    const conn = uniqueName('fx');
    await worker(getDb(), conn).client.track([UNKNOWN_NUMBER]);
    const before = tokenRequests();
    sim.expireTokens();
    const results = await Promise.all(
      Array.from({ length: 5 }, () => worker(getDb(), conn).client.track([UNKNOWN_NUMBER])),
    );
    assert.equal(results.length, 5);
    assert.equal(tokenRequests() - before, 1);
  });

  it('a process keeps its copy of the token: later calls read neither the database nor the token endpoint', async () => {
    const conn = uniqueName('fx');
    const w = worker(getDb(), conn);
    await w.client.track([UNKNOWN_NUMBER]);
    const before = tokenRequests();
    // With the stored row gone, only the process's own copy can serve the next calls.
    await sql`delete from oauth_tokens where connection = ${conn}`.execute(getDb().db);
    await w.client.track([UNKNOWN_NUMBER]);
    assert.equal(tokenRequests() - before, 0);
    // A new process has no copy and must fetch (the row is gone).
    await worker(getDb(), conn).client.track([UNKNOWN_NUMBER]);
    assert.equal(tokenRequests() - before, 1);
  });

  it('a copy FedEx refuses is replaced by the token another process stored, without a token request', async () => {
    const conn = uniqueName('fx');
    const a = worker(getDb(), conn);
    const b = worker(getDb(), conn);
    await a.client.track([UNKNOWN_NUMBER]);
    await b.client.track([UNKNOWN_NUMBER]);
    const before = tokenRequests();
    sim.expireTokens();
    await a.client.track([UNKNOWN_NUMBER]); // a renews after the 401
    assert.equal(tokenRequests() - before, 1);
    const renewed = await a.store.getValid(conn);
    const r = await b.client.track([UNKNOWN_NUMBER]); // b's copy is refused; it takes a's token
    assert.equal(r.errors[0]?.code, 'TRACKING.TRACKINGNUMBER.NOTFOUND');
    assert.equal(tokenRequests() - before, 1);
    assert.equal((await b.store.getValid(conn))?.value, renewed?.value);
  });

  it('a lockout of the token endpoint does not stop calls with a token that is still valid', async () => {
    const conn = uniqueName('fx');
    const w = worker(getDb(), conn);
    await w.client.track([UNKNOWN_NUMBER]);
    await w.store.lockUntil(conn, new Date(Date.now() + 600_000));
    const r = await worker(getDb(), conn).client.track([UNKNOWN_NUMBER]);
    assert.equal(r.errors[0]?.code, 'TRACKING.TRACKINGNUMBER.NOTFOUND');
  });

  it('a 403 lockout is stored and honoured by every worker without another token request', async () => {
    const conn = uniqueName('fx');
    const lockedSim = await startFedexSimulator({});
    try {
      lockedSim.lockout({ clientId: DEMO_CLIENT.clientId, seconds: 600 });
      const mk = () => {
        const store = new DbTokenStore({ db: getDb().db, vault, pollMs: 20 });
        return new FedexClient({
          connection: conn,
          baseUrl: lockedSim.url,
          clientId: DEMO_CLIENT.clientId,
          clientSecret: DEMO_CLIENT.clientSecret,
          accountNumber: ACCOUNT,
          tokenStore: store,
          limiter: unlimited,
          timeoutMs: 5000,
          log,
          authLockoutMs: 10 * 60_000,
        });
      };
      const first = await mk()
        .track([UNKNOWN_NUMBER])
        .catch((e: unknown) => e);
      assert.ok(first instanceof FedexRateLimitError, String(first));
      assert.equal(first.scope, 'auth_lockout');
      assert.ok(first.retryAfterMs > 9 * 60_000);
      const requests = lockedSim.counters().tokenRequestsByClient[DEMO_CLIENT.clientId];
      assert.equal(requests, 1);

      const stored = await new DbTokenStore({ db: getDb().db, vault }).lockedUntil(conn);
      assert.ok(stored && stored.getTime() > Date.now() + 9 * 60_000);

      const others = await Promise.all(
        Array.from({ length: 3 }, () =>
          mk()
            .track([UNKNOWN_NUMBER])
            .catch((e: unknown) => e),
        ),
      );
      for (const e of others) {
        assert.ok(e instanceof FedexRateLimitError && e.scope === 'auth_lockout', String(e));
      }
      assert.equal(lockedSim.counters().tokenRequestsByClient[DEMO_CLIENT.clientId], requests);
    } finally {
      await lockedSim.stop();
    }
  });

  it('token requests are throttled per credential by limits.fedex.tokenRequestsPerMinute', async () => {
    const conn = uniqueName('fx');
    let clockMs = Date.now();
    const sleeps: number[] = [];
    const clock: LimiterClock = {
      now: () => clockMs,
      sleep: async (ms) => {
        sleeps.push(ms);
        clockMs += ms;
      },
    };
    const limitFor = fedexRateLimits({ transactionsPer10s: 1400, tokenRequestsPerMinute: 1 });
    // A credential of its own, so other tests' token requests do not count against this window.
    const clientId = uniqueName('throttle-client');
    const throttledSim = await startFedexSimulator({
      clients: [{ clientId, clientSecret: 'throttle-secret', accounts: [ACCOUNT] }],
    });
    try {
      const limiter = new PostgresWindowLimiter(
        getDb().db,
        (k) => limitFor(k)!,
        clock,
        () => 0,
      );
      const client = new FedexClient({
        connection: conn,
        baseUrl: throttledSim.url,
        clientId,
        clientSecret: 'throttle-secret',
        accountNumber: ACCOUNT,
        tokenStore: new DbTokenStore({ db: getDb().db, vault }),
        limiter,
        timeoutMs: 5000,
        log,
      });
      await client.track([UNKNOWN_NUMBER]);
      const before = sleeps.length;
      throttledSim.expireTokens(); // forces a second token request in the same minute
      await client.track([UNKNOWN_NUMBER]);
      const waits = sleeps.slice(before);
      assert.ok(
        waits.some((ms) => ms > 0 && ms <= 60_000),
        `the second token request waited for the next minute (${waits.join(', ')})`,
      );
      assert.equal(throttledSim.counters().tokenRequestsByClient[clientId], 2);
    } finally {
      await throttledSim.stop();
    }
  });

  it('never stores a token in plain text, and binds it to its connection', async () => {
    const conn = uniqueName('fx');
    const { client, store } = worker(getDb(), conn);
    await client.track([UNKNOWN_NUMBER]);
    const token = await store.getValid(conn);
    assert.ok(token && token.value.length > 10);
    const rows = await sql<
      Record<string, unknown>
    >`SELECT * FROM oauth_tokens WHERE connection = ${conn}`.execute(getDb().db);
    assert.equal(rows.rows.length, 1);
    const dump = JSON.stringify(rows.rows[0], (_k, v: unknown) =>
      v && typeof v === 'object' && (v as { type?: string }).type === 'Buffer'
        ? Buffer.from((v as { data: number[] }).data).toString('latin1')
        : v,
    );
    assert.ok(!dump.includes(token.value), 'the token appears in the row');
    assert.ok(!dump.includes(Buffer.from(token.value).toString('hex')));
    assert.ok(!dump.includes(Buffer.from(token.value).toString('base64')));

    // A row copied to another connection does not decrypt (AAD = connection + kind).
    const other = uniqueName('fx');
    await sql`INSERT INTO oauth_tokens (connection, kind, key_id, iv, ciphertext, auth_tag, expires_at)
              SELECT ${other}, kind, key_id, iv, ciphertext, auth_tag, expires_at FROM oauth_tokens WHERE connection = ${conn}`.execute(
      getDb().db,
    );
    await assert.rejects(store.getValid(other), /cannot be decrypted/);
  });
});

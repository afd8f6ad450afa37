// The connector kit's token providers on their one store (connectors/kit/tokens), on real PostgreSQL
// and PGlite: single flight across processes, the rotating refresh-token chain of Exact Online, the
// client-credentials margin, the self-signed JWT of Sage X3, and that no secret is ever stored or
// reported in clear. Time is an injected clock; token endpoints are in-memory fakes that count calls.

import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { describe, it } from 'node:test';
import { sql, type Kysely } from 'kysely';
import { ConnectorError } from '../../connectors/kit/errors';
import {
  ClientCredentialsProvider,
  DbTokenStore,
  Hs256JwtProvider,
  NeedsReauthorizationError,
  RotatingRefreshTokenProvider,
  StaticKeyProvider,
  TokenCredentialError,
  TokenEndpointLockedError,
  TokenRefreshTooEarlyError,
  type TokenGrant,
} from '../../connectors/kit/tokens';
import { TokenRepo } from '../../lib/db/repos';
import type { Database } from '../../lib/db/types';
import { registerSecret } from '../../lib/logger';
import { masterKey, tokenAad, Vault, type Sealed } from '../../lib/vault';
import { forEachDatabase } from '../helpers/db';

const T0 = Date.parse('2026-12-08T09:00:00.000Z');
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const DAY = 24 * 60 * MINUTE;
/** Exact Online: access tokens live 600 s; no refresh before 570 s. */
const EXACT = { system: 'Exact Online', minAgeMs: 570 * SECOND, marginMs: 30 * SECOND };
const CLIENT_SECRET = 'exact-client-secret-Zq81';
registerSecret(CLIENT_SECRET); // as the connector does with its configured secret

/** What the Exact connector throws for 401 unauthorized_client "Old refresh token used." or an expired one. */
class ChainBroken extends ConnectorError {
  readonly kind = 'needs_reauthorization';
}
/** What it throws for 400 access_denied "Rate limit exceeded: access_token not expired". */
class TooEarly extends ConnectorError {
  readonly kind = 'rate_limited';
}

class Clock {
  ms = T0;
  readonly now = () => new Date(this.ms);
  advance(ms: number): void {
    this.ms += ms;
  }
}

/**
 * Exact Online's token endpoint as far as the chain goes: one live refresh token per connection; a
 * refresh with it returns a new pair and kills it; any other is "Old refresh token used.".
 */
class FakeExactEndpoint {
  calls = 0;
  usedRefreshTokens: string[] = [];
  live: string;
  tooEarly = false;
  /** While set, a refresh waits for it (after `entered` resolves). */
  hold: Promise<void> | undefined;
  entered: () => void = () => undefined;
  private issued = 0;

  constructor(first: string) {
    this.live = first;
  }

  firstGrant(): TokenGrant {
    return { accessToken: 'exact-access-0-aaaaaaaa', expiresInS: 600, refreshToken: this.live };
  }

  readonly refresh = async (refreshToken: string): Promise<TokenGrant> => {
    this.calls++;
    this.usedRefreshTokens.push(refreshToken);
    this.entered();
    if (this.hold) await this.hold;
    if (this.tooEarly) {
      throw new TooEarly(
        'Exact Online token: 400 access_denied "Rate limit exceeded: access_token not expired"',
        {
          status: 400,
          code: 'access_denied',
        },
      );
    }
    if (refreshToken !== this.live) {
      // A careless connector echoes what it sent; the message must still reach nobody with it.
      throw new ChainBroken(
        `Exact Online token: 401 unauthorized_client "Old refresh token used." ` +
          `(sent refresh_token=${refreshToken}, client_secret=${CLIENT_SECRET})`,
        { status: 401, code: 'unauthorized_client' },
      );
    }
    this.issued++;
    this.live = `exact-refresh-${this.issued}-rrrrrrrr`;
    return { accessToken: `exact-access-${this.issued}-aaaaaaaa`, expiresInS: 600, refreshToken: this.live };
  };
}

function gate(endpoint: { hold: Promise<void> | undefined; entered: () => void }): {
  entered: Promise<void>;
  release: () => void;
} {
  let release!: () => void;
  endpoint.hold = new Promise<void>((r) => (release = r));
  const entered = new Promise<void>((r) => (endpoint.entered = r));
  return { entered, release };
}

/** Every column of the slot's row, with byte columns as latin1 text, for a search for secrets. */
async function rowDump(db: Kysely<Database>, connection: string): Promise<string> {
  const rows = await sql<Record<string, unknown>>`
    SELECT t.*, c.locked_until AS c_locked, c.refresh_claim FROM oauth_tokens t
    LEFT JOIN oauth_token_control c USING (connection, kind) WHERE t.connection = ${connection}`.execute(db);
  assert.equal(rows.rows.length, 1);
  return JSON.stringify(rows.rows[0], (_k, v: unknown) =>
    v && typeof v === 'object' && (v as { type?: string }).type === 'Buffer'
      ? Buffer.from((v as { data: number[] }).data).toString('latin1')
      : v,
  );
}

function assertNotIn(haystack: string, secret: string, where: string): void {
  for (const form of [secret, Buffer.from(secret).toString('hex'), Buffer.from(secret).toString('base64')]) {
    assert.ok(!haystack.includes(form), `${where} holds a secret in clear`);
  }
}

forEachDatabase('connector kit: token store and providers', (getDb) => {
  // A fixed master key: the test holds no unseeded randomness of its own.
  const vault = () =>
    new Vault({ db: getDb().db, keys: { current: masterKey(Buffer.alloc(32, 7)), previous: [] } });

  /** One worker process: its own store (no shared memory), on the shared database. */
  function exactWorker(
    connection: string,
    clock: Clock,
    endpoint: FakeExactEndpoint,
    v: Pick<Vault, 'encrypt' | 'decrypt'> = vault(),
  ) {
    const store = new DbTokenStore({ db: getDb().db, vault: v, now: clock.now, pollMs: 5 });
    const provider = new RotatingRefreshTokenProvider({
      store,
      connection,
      system: EXACT.system,
      refresh: endpoint.refresh,
      minAgeMs: EXACT.minAgeMs,
      marginMs: EXACT.marginMs,
      now: clock.now,
    });
    return { store, provider };
  }

  describe('single flight across processes', () => {
    it('a rotating refresh wanted by two processes at once is made once, and all callers get its token', async () => {
      const clock = new Clock();
      const endpoint = new FakeExactEndpoint('exact-refresh-0-rrrrrrrr');
      const a = exactWorker('exact-race', clock, endpoint);
      const b = exactWorker('exact-race', clock, endpoint);
      await a.provider.authorize(endpoint.firstGrant());
      clock.advance(575 * SECOND);

      const held = gate(endpoint);
      const callers = [a, a, a, b, b, b].map((w) => w.provider.getToken());
      await held.entered;
      held.release();
      const tokens = await Promise.all(callers);

      assert.equal(endpoint.calls, 1, 'one token call');
      assert.deepEqual(new Set(tokens.map((t) => t.value)), new Set(['exact-access-1-aaaaaaaa']));
      // The chain goes on from the one refresh: the next refresh, by the other process, uses its token.
      clock.advance(575 * SECOND);
      assert.equal((await b.provider.getToken()).value, 'exact-access-2-aaaaaaaa');
      assert.deepEqual(endpoint.usedRefreshTokens, ['exact-refresh-0-rrrrrrrr', 'exact-refresh-1-rrrrrrrr']);
    });

    it('a client-credentials token wanted by two processes at once is requested once', async () => {
      const clock = new Clock();
      let calls = 0;
      const held: { hold: Promise<void> | undefined; entered: () => void } = {
        hold: undefined,
        entered: () => undefined,
      };
      const requestToken = async (): Promise<TokenGrant> => {
        calls++;
        held.entered();
        await held.hold;
        return { accessToken: `fedex-access-${calls}-cccccccc`, expiresInS: 3600 };
      };
      const worker = () =>
        new ClientCredentialsProvider({
          store: new DbTokenStore({ db: getDb().db, vault: vault(), now: clock.now, pollMs: 5 }),
          connection: 'fedex-race',
          requestToken,
          now: clock.now,
        });
      const [p, q] = [worker(), worker()];
      const g = gate(held);
      const callers = [p, q, p, q, p, q, p, q].map((w) => w.getToken());
      await g.entered;
      g.release();
      const tokens = await Promise.all(callers);
      assert.equal(calls, 1);
      assert.deepEqual(new Set(tokens.map((t) => t.value)), new Set(['fedex-access-1-cccccccc']));
    });
  });

  describe('the rotating chain', () => {
    it('stores the new refresh token with the new access token before handing the access token out', async () => {
      const clock = new Clock();
      const endpoint = new FakeExactEndpoint('exact-refresh-0-rrrrrrrr');
      const a = exactWorker('exact-rotate', clock, endpoint);
      await a.provider.authorize(endpoint.firstGrant());
      clock.advance(575 * SECOND);
      const token = await a.provider.getToken();
      assert.equal(token.value, 'exact-access-1-aaaaaaaa');
      // By the time the token is handed out, another process reads the new pair from the database.
      const seen = await exactWorker('exact-rotate', clock, endpoint).store.read('exact-rotate');
      assert.equal(seen?.access?.value, 'exact-access-1-aaaaaaaa');
      assert.equal(seen?.refresh?.value, 'exact-refresh-1-rrrrrrrr');
      assert.equal(seen?.refresh?.issuedAt.getTime(), T0 + 575 * SECOND);
      assert.equal(seen?.state, 'ok');
    });

    it('a new access token whose refresh token could not be stored is never handed out', async () => {
      const clock = new Clock();
      const endpoint = new FakeExactEndpoint('exact-refresh-0-rrrrrrrr');
      const real = vault();
      let failWrites = false;
      const failing: Pick<Vault, 'encrypt' | 'decrypt'> = {
        encrypt: (plaintext: string | Buffer, aad: string): Sealed => {
          if (failWrites) throw new Error('the database refused the write');
          return real.encrypt(plaintext, aad);
        },
        decrypt: (sealed, aad, label) => real.decrypt(sealed, aad, label),
      };
      const a = exactWorker('exact-unsaved', clock, endpoint, failing);
      await a.provider.authorize(endpoint.firstGrant());
      clock.advance(575 * SECOND);
      failWrites = true;
      const err = await a.provider.getToken().catch((e: unknown) => e);
      assert.ok(err instanceof Error && /refused the write/.test(err.message), String(err));
      assert.equal(endpoint.calls, 1);
      assert.ok(!err.message.includes('exact-access-1-aaaaaaaa'));
      // The stored chain is the one before the call: nothing half-written.
      const stored = await a.store.read('exact-unsaved');
      assert.equal(stored?.access?.value, 'exact-access-0-aaaaaaaa');
      assert.equal(stored?.refresh?.value, 'exact-refresh-0-rrrrrrrr');
    });

    it('a refresh is never attempted before the access token reaches the minimum age', async () => {
      const clock = new Clock();
      const endpoint = new FakeExactEndpoint('exact-refresh-0-rrrrrrrr');
      const { provider } = exactWorker('exact-young', clock, endpoint);
      await provider.authorize(endpoint.firstGrant());

      clock.advance(100 * SECOND);
      const first = await provider.getToken();
      assert.equal(first.value, 'exact-access-0-aaaaaaaa');
      // Exact refuses the token (a 401) while it is 100 s old: no refresh may be asked for yet.
      provider.invalidate(first.value);
      const early = await provider.getToken().catch((e: unknown) => e);
      assert.ok(early instanceof TokenRefreshTooEarlyError, String(early));
      assert.equal(early.kind, 'rate_limited');
      assert.equal(early.retryAfterMs, 470 * SECOND);
      clock.advance(469 * SECOND); // 569 s old
      await assert.rejects(provider.getToken(), TokenRefreshTooEarlyError);
      assert.equal(endpoint.calls, 0);

      clock.advance(1 * SECOND); // 570 s old
      assert.equal((await provider.getToken()).value, 'exact-access-1-aaaaaaaa');
      assert.equal(endpoint.calls, 1);
    });

    it('a token is renewed only once its life left falls under the margin, not earlier', async () => {
      const clock = new Clock();
      const endpoint = new FakeExactEndpoint('exact-refresh-0-rrrrrrrr');
      const { provider } = exactWorker('exact-margin', clock, endpoint);
      await provider.authorize(endpoint.firstGrant());
      clock.advance(565 * SECOND); // 35 s left
      assert.equal((await provider.getToken()).value, 'exact-access-0-aaaaaaaa');
      assert.equal(endpoint.calls, 0);
      clock.advance(6 * SECOND); // 29 s left, 571 s old
      assert.equal((await provider.getToken()).value, 'exact-access-1-aaaaaaaa');
      assert.equal(endpoint.calls, 1);
    });

    it('"access_token not expired" keeps the current token and asks again only after it expires', async () => {
      const clock = new Clock();
      const endpoint = new FakeExactEndpoint('exact-refresh-0-rrrrrrrr');
      const { provider } = exactWorker('exact-too-early', clock, endpoint);
      await provider.authorize(endpoint.firstGrant());
      clock.advance(575 * SECOND);
      endpoint.tooEarly = true;
      assert.equal((await provider.getToken()).value, 'exact-access-0-aaaaaaaa');
      assert.equal(endpoint.calls, 1);
      clock.advance(10 * SECOND);
      const other = exactWorker('exact-too-early', clock, endpoint).provider;
      assert.equal((await other.getToken()).value, 'exact-access-0-aaaaaaaa');
      assert.equal(endpoint.calls, 1, 'no second call while the current token lasts');

      endpoint.tooEarly = false;
      clock.advance(15 * SECOND); // the token has expired
      assert.equal((await other.getToken()).value, 'exact-access-1-aaaaaaaa');
      assert.equal(endpoint.calls, 2);
    });

    it('"Old refresh token used." puts the connection into needs_reauthorization for every worker', async () => {
      const clock = new Clock();
      const endpoint = new FakeExactEndpoint('exact-refresh-0-rrrrrrrr');
      const a = exactWorker('exact-broken', clock, endpoint);
      await a.provider.authorize(endpoint.firstGrant());
      endpoint.live = 'exact-refresh-elsewhere-rrrrrrrr'; // someone else used the refresh token
      clock.advance(575 * SECOND);

      const err = await a.provider.getToken().catch((e: unknown) => e);
      assert.ok(err instanceof NeedsReauthorizationError, String(err));
      assert.equal(err.kind, 'needs_reauthorization');
      assert.equal(err.retryable, false);
      assert.match(err.message, /Old refresh token used/);
      assert.match(err.message, /Run: ml-connector connections authorize exact-broken/);
      assert.equal(err.action, 'ml-connector connections authorize exact-broken');
      assert.equal(endpoint.calls, 1);

      const status = await a.provider.status();
      assert.equal(status.state, 'needs_reauthorization');
      assert.match(status.reason ?? '', /Old refresh token used/);
      assert.equal(status.action, 'ml-connector connections authorize exact-broken');

      // Every worker stops refreshing: they refuse at once, without a token call.
      const b = exactWorker('exact-broken', clock, endpoint);
      await assert.rejects(b.provider.getToken(), NeedsReauthorizationError);
      await assert.rejects(a.provider.getToken(), NeedsReauthorizationError);
      clock.advance(DAY);
      await assert.rejects(b.provider.getToken(), NeedsReauthorizationError);
      assert.equal(endpoint.calls, 1);

      // A person authorizes again; the chain starts over and calls go on.
      endpoint.live = 'exact-refresh-reauth-rrrrrrrr';
      await b.provider.authorize({
        accessToken: 'exact-access-reauth-aaaaaaaa',
        expiresInS: 600,
        refreshToken: endpoint.live,
      });
      assert.equal((await a.provider.getToken()).value, 'exact-access-reauth-aaaaaaaa');
      assert.equal((await a.provider.status()).state, 'ok');
      clock.advance(575 * SECOND);
      assert.equal((await a.provider.getToken()).value, 'exact-access-1-aaaaaaaa');
      assert.equal(endpoint.calls, 2);
    });

    it('an expired refresh token needs re-authorization, found without a token call; doctor sees the days left', async () => {
      const clock = new Clock();
      const endpoint = new FakeExactEndpoint('exact-refresh-0-rrrrrrrr');
      const { provider } = exactWorker('exact-expired', clock, endpoint);
      assert.equal((await provider.status()).state, 'not_authorized');
      await assert.rejects(provider.getToken(), NeedsReauthorizationError);

      await provider.authorize(endpoint.firstGrant());
      assert.equal((await provider.status()).refreshDaysLeft, 30);
      clock.advance(10 * DAY + 12 * 60 * MINUTE);
      assert.equal((await provider.status()).refreshDaysLeft, 19);

      clock.advance(20 * DAY); // 30.5 days after it was issued
      const err = await provider.getToken().catch((e: unknown) => e);
      assert.ok(err instanceof NeedsReauthorizationError, String(err));
      assert.match(err.message, /refresh token expired at 2027-01-07T09:00:00.000Z/);
      assert.equal(endpoint.calls, 0);
      const status = await provider.status();
      assert.equal(status.state, 'needs_reauthorization');
      assert.equal(status.refreshDaysLeft, 0);
    });
  });

  describe('client credentials', () => {
    function ccWorker(connection: string, clock: Clock, expiresInS: number, marginMs: number) {
      const counter = { calls: 0 };
      const provider = new ClientCredentialsProvider({
        store: new DbTokenStore({ db: getDb().db, vault: vault(), now: clock.now, pollMs: 5 }),
        connection,
        requestToken: async () => {
          counter.calls++;
          return { accessToken: `${connection}-token-${counter.calls}-cccccccc`, expiresInS };
        },
        marginMs,
        now: clock.now,
      });
      return { provider, counter };
    }

    it('renews an hour-long token once less than the margin is left (FedEx, 5 min)', async () => {
      const clock = new Clock();
      const { provider, counter } = ccWorker('fedex-margin', clock, 3600, 5 * MINUTE);
      assert.equal((await provider.getToken()).value, 'fedex-margin-token-1-cccccccc');
      clock.advance(54 * MINUTE);
      assert.equal((await provider.getToken()).value, 'fedex-margin-token-1-cccccccc');
      assert.equal(counter.calls, 1);
      clock.advance(2 * MINUTE); // 4 min left
      assert.equal((await provider.getToken()).value, 'fedex-margin-token-2-cccccccc');
      assert.equal(counter.calls, 2);
    });

    it('caps a margin longer than half a short token life at half of it (IFS, 180-s tokens)', async () => {
      const clock = new Clock();
      const { provider, counter } = ccWorker('ifs-margin', clock, 180, 3 * MINUTE);
      await provider.getToken();
      clock.advance(89 * SECOND);
      assert.equal((await provider.getToken()).value, 'ifs-margin-token-1-cccccccc');
      clock.advance(2 * SECOND);
      assert.equal((await provider.getToken()).value, 'ifs-margin-token-2-cccccccc');
      assert.equal(counter.calls, 2);
    });

    it('a refused token is replaced; a lockout of the token endpoint holds for every worker', async () => {
      const clock = new Clock();
      const { provider, counter } = ccWorker('ifs-refused', clock, 180, 30 * SECOND);
      const first = await provider.getToken();
      provider.invalidate(first.value);
      assert.equal((await provider.getToken()).value, 'ifs-refused-token-2-cccccccc');
      await provider.lockOut(new Date(clock.ms + 10 * MINUTE));
      clock.advance(3 * MINUTE); // the token expired; a new one is not asked for during the lockout
      const other = ccWorker('ifs-refused', clock, 180, 30 * SECOND);
      const err = await other.provider.getToken().catch((e: unknown) => e);
      assert.ok(err instanceof TokenEndpointLockedError, String(err));
      assert.equal(err.kind, 'rate_limited');
      assert.equal(err.retryAfterMs, 7 * MINUTE);
      assert.equal(counter.calls + other.counter.calls, 2);
    });
  });

  describe('secrets', () => {
    it('no token, refresh token or client secret appears in the table or in an error message', async () => {
      const clock = new Clock();
      const endpoint = new FakeExactEndpoint('exact-refresh-0-rrrrrrrr');
      const a = exactWorker('exact-secrets', clock, endpoint);
      await a.provider.authorize(endpoint.firstGrant());
      clock.advance(575 * SECOND);
      await a.provider.getToken();
      const secrets = [
        'exact-access-0-aaaaaaaa',
        'exact-refresh-0-rrrrrrrr',
        'exact-access-1-aaaaaaaa',
        'exact-refresh-1-rrrrrrrr',
        CLIENT_SECRET,
      ];
      const dump = await rowDump(getDb().db, 'exact-secrets');
      for (const s of secrets) assertNotIn(dump, s, 'the token row');

      // The chain breaks with an answer that echoes the refresh token and the client secret.
      endpoint.live = 'exact-refresh-elsewhere-rrrrrrrr';
      clock.advance(575 * SECOND);
      const err = await a.provider.getToken().catch((e: unknown) => e);
      assert.ok(err instanceof NeedsReauthorizationError, String(err));
      const reported = [err.message, err.action ?? '', (await a.provider.status()).reason ?? ''].join('\n');
      for (const s of secrets) assertNotIn(reported, s, 'the error and the stored reason');
      assertNotIn(await rowDump(getDb().db, 'exact-secrets'), 'exact-refresh-1-rrrrrrrr', 'the broken row');
    });
  });
});

forEachDatabase('connector kit: the token store across upgrades and key rotations', (getDb) => {
  const keyA = masterKey(Buffer.alloc(32, 7));
  const keyB = masterKey(Buffer.alloc(32, 9));

  it('reads a row written before refresh tokens were stored (the access token alone)', async () => {
    const clock = new Clock();
    const vault = new Vault({ db: getDb().db, keys: { current: keyA, previous: [] } });
    const sealed = vault.encrypt('fedex-legacy-token-llllllll', tokenAad('fedex-legacy', 'access'));
    await new TokenRepo(getDb().db).save(getDb().db, 'fedex-legacy', 'access', {
      ...sealed,
      expiresAt: new Date(T0 + 30 * MINUTE),
      obtainedAt: new Date(T0),
    });
    const store = new DbTokenStore({ db: getDb().db, vault, now: clock.now });
    assert.equal((await store.getValid('fedex-legacy'))?.value, 'fedex-legacy-token-llllllll');
    assert.equal((await store.read('fedex-legacy'))?.refresh, null);
  });

  it("the vault's key rotation re-seals the refresh token with the access token", async () => {
    const clock = new Clock();
    const endpoint = new FakeExactEndpoint('exact-refresh-0-rrrrrrrr');
    const before = new Vault({ db: getDb().db, keys: { current: keyA, previous: [] } });
    const store = (vault: Vault) => new DbTokenStore({ db: getDb().db, vault, now: clock.now });
    const provider = new RotatingRefreshTokenProvider({
      store: store(before),
      connection: 'exact-rekeyed',
      system: EXACT.system,
      refresh: endpoint.refresh,
      minAgeMs: EXACT.minAgeMs,
      now: clock.now,
    });
    await provider.authorize(endpoint.firstGrant());
    await before.rotate(keyB);
    // Only the new key is left: the chain is still readable.
    const after = new Vault({ db: getDb().db, keys: { current: keyB, previous: [] } });
    const stored = await store(after).read('exact-rekeyed');
    assert.equal(stored?.refresh?.value, 'exact-refresh-0-rrrrrrrr');
    assert.equal(stored?.access?.value, 'exact-access-0-aaaaaaaa');
  });
});

describe('connector kit: self-signed HS256 JWT (Sage X3 connected apps)', () => {
  const SECRET = 'x3-connected-app-secret-7Hk2';
  const decode = (part: string): Record<string, unknown> =>
    JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;

  function verify(token: string): { header: Record<string, unknown>; claims: Record<string, unknown> } {
    const [header, payload, signature] = token.split('.');
    assert.ok(header && payload && signature, 'three parts');
    const expected = createHmac('sha256', SECRET).update(`${header}.${payload}`).digest();
    const given = Buffer.from(signature, 'base64url');
    assert.ok(given.length === expected.length && timingSafeEqual(given, expected), 'HS256 signature');
    return { header: decode(header), claims: decode(payload) };
  }

  it('signs the connected app claims with its secret and the configured lifetime', async () => {
    const clock = new Clock();
    const provider = new Hs256JwtProvider({
      issuer: 'x3-client-id',
      subject: 'SVC_SHIPPING',
      audience: 'http://x3.example:8124/xtrem/api',
      secret: SECRET,
      lifetimeS: 120,
      claims: { iss: 'ignored', scope: 'api.graphQL' },
      now: clock.now,
    });
    const token = await provider.getToken();
    const { header, claims } = verify(token.value);
    assert.deepEqual(header, { alg: 'HS256', typ: 'JWT' });
    assert.deepEqual(claims, {
      scope: 'api.graphQL',
      iss: 'x3-client-id',
      sub: 'SVC_SHIPPING',
      aud: 'http://x3.example:8124/xtrem/api',
      iat: T0 / 1000,
      exp: T0 / 1000 + 120,
    });
    assert.equal(token.expiresAt?.getTime(), T0 + 120 * SECOND);
  });

  it("keeps one token until near its expiry, and Sage's sample defaults (60 s, empty aud)", async () => {
    const clock = new Clock();
    const provider = new Hs256JwtProvider({
      issuer: 'x3-client-id',
      subject: 'SVC_SHIPPING',
      secret: SECRET,
      now: clock.now,
    });
    const first = await provider.getToken();
    assert.deepEqual(
      { aud: verify(first.value).claims.aud, exp: verify(first.value).claims.exp },
      { aud: '', exp: T0 / 1000 + 60 },
    );
    clock.advance(49 * SECOND); // 11 s left, margin 10 s
    assert.equal((await provider.getToken()).value, first.value);
    clock.advance(2 * SECOND); // 9 s left
    const second = await provider.getToken();
    assert.notEqual(second.value, first.value);
    assert.equal(verify(second.value).claims.iat, T0 / 1000 + 51);

    clock.advance(1 * SECOND);
    provider.invalidate(second.value); // refused: the next call signs a new one
    const third = await provider.getToken();
    assert.notEqual(third.value, second.value);
    assert.equal(verify(third.value).claims.iat, T0 / 1000 + 52);
  });

  it('refuses an empty secret as a credential problem', () => {
    assert.throws(
      () => new Hs256JwtProvider({ issuer: 'x3-client-id', subject: 'SVC_SHIPPING', secret: '' }),
      (e) => e instanceof TokenCredentialError && e.kind === 'auth',
    );
  });
});

describe('connector kit: static keys', () => {
  it('hands out the key as it is; a refusal changes nothing', async () => {
    const provider = new StaticKeyProvider('plex-consumer-key-4411');
    assert.deepEqual(await provider.getToken(), { value: 'plex-consumer-key-4411' });
    provider.invalidate();
    assert.deepEqual(await provider.getToken(), { value: 'plex-consumer-key-4411' });
  });

  it('refuses an empty key, naming it', () => {
    assert.throws(
      () => new StaticKeyProvider(' ', 'the Plex API key of connection plex-main'),
      (e) =>
        e instanceof TokenCredentialError && /Plex API key of connection plex-main is empty/.test(e.message),
    );
  });
});

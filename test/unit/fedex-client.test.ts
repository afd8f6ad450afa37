import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { after, before, beforeEach, describe, it } from 'node:test';
import pino from 'pino';
import { FedexClient, type FedexAuditEntry, type FedexClientOptions } from '../../connectors/fedex/client';
import {
  FedexAuthError,
  FedexBusinessError,
  FedexRateLimitError,
  FedexUnavailableError,
} from '../../connectors/fedex/errors';
import { unlimited } from '../../lib/ratelimit';
import { fullLimiter } from '../helpers/limiter';
import { MemoryTokenStore, shipmentRequest } from './fedex-fixtures';

interface Seen {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}
type Handler = (req: Seen, res: ServerResponse) => void;

const SECRET = 'client-secret-never-logged';
const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};
const fedexError = (res: ServerResponse, status: number, code: string, message = 'refused') =>
  json(res, status, { transactionId: 'tx-9', errors: [{ code, message }] });

let tokenCounter = 0;
const tokenOk = (res: ServerResponse) =>
  json(res, 200, {
    access_token: `access-token-${++tokenCounter}-xyz`,
    token_type: 'bearer',
    expires_in: 3600,
    scope: 'CXS',
  });

const shipOk = {
  transactionId: 'tx-ship',
  output: {
    transactionShipments: [
      {
        masterTrackingNumber: '794000000001',
        serviceType: 'FEDEX_GROUND',
        pieceResponses: [
          {
            trackingNumber: '794000000001',
            packageDocuments: [{ contentType: 'LABEL', encodedLabel: 'JVBERi0=' }],
          },
        ],
        completedShipmentDetail: {
          shipmentRating: {
            actualRateType: 'PAYOR_ACCOUNT_SHIPMENT',
            shipmentRateDetails: [
              { rateType: 'PAYOR_ACCOUNT_SHIPMENT', currency: 'USD', totalNetCharge: 18.42 },
            ],
          },
        },
      },
    ],
  },
};

describe('FedexClient against a scripted HTTP server', () => {
  let server: Server;
  let baseUrl: string;
  let seen: Seen[];
  let handler: Handler;
  let store: MemoryTokenStore;
  let audits: FedexAuditEntry[];
  let logged: string;

  before(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const s: Seen = {
          method: req.method ?? '',
          path: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks).toString(),
        };
        seen.push(s);
        handler(s, res);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  beforeEach(() => {
    seen = [];
    store = new MemoryTokenStore();
    audits = [];
    logged = '';
    handler = (req, res) => (req.path === '/oauth/token' ? tokenOk(res) : json(res, 200, { output: {} }));
  });

  function client(overrides: Partial<FedexClientOptions> = {}): FedexClient {
    const sink = new Writable({
      write(chunk, _enc, done) {
        logged += String(chunk);
        done();
      },
    });
    return new FedexClient({
      connection: 'fedex-test',
      baseUrl,
      clientId: 'client-id-1',
      clientSecret: SECRET,
      accountNumber: '740561073',
      tokenStore: store,
      limiter: unlimited,
      timeoutMs: 2_000,
      log: pino({ level: 'debug' }, sink),
      audit: async (e) => {
        audits.push(e);
      },
      random: () => 0,
      ...overrides,
    });
  }

  const apiCalls = () => seen.filter((s) => s.path !== '/oauth/token');
  const tokenCalls = () => seen.filter((s) => s.path === '/oauth/token');

  it('creates a shipment with the idempotency key as x-customer-transaction-id', async () => {
    handler = (req, res) => (req.path === '/oauth/token' ? tokenOk(res) : json(res, 200, shipOk));
    const result = await client().createShipment(shipmentRequest());
    assert.equal(result.masterTrackingNumber, '794000000001');
    assert.deepEqual(result.cost, { amount: 18.42, currency: 'USD' });
    const ship = apiCalls()[0]!;
    assert.equal(ship.path, '/ship/v1/shipments');
    assert.equal(ship.headers['x-customer-transaction-id'], 'order/plex-demo/SO-1001');
    assert.match(String(ship.headers.authorization), /^Bearer access-token-\d+-xyz$/);
    const form = new URLSearchParams(tokenCalls()[0]!.body);
    assert.equal(form.get('grant_type'), 'client_credentials');
    assert.equal(form.get('client_id'), 'client-id-1');
    assert.equal(tokenCalls()[0]!.headers['content-type'], 'application/x-www-form-urlencoded');
  });

  it('reuses the stored token and fetches one token for concurrent callers', async () => {
    const c = client();
    await Promise.all([c.track(['1']), c.track(['2']), c.track(['3']), c.track(['4'])]);
    await c.track(['5']);
    assert.equal(tokenCalls().length, 1);
    assert.equal(apiCalls().length, 5);
  });

  it('renews a refused token once and retries once', async () => {
    let first = true;
    handler = (req, res) => {
      if (req.path === '/oauth/token') return tokenOk(res);
      if (first) {
        first = false;
        return fedexError(res, 401, 'NOT.AUTHORIZED.ERROR', 'Access token expired.');
      }
      json(res, 200, { output: { completeTrackResults: [] } });
    };
    await client().track(['1']);
    assert.equal(tokenCalls().length, 2);
    assert.equal(apiCalls().length, 2);
    assert.notEqual(apiCalls()[0]!.headers.authorization, apiCalls()[1]!.headers.authorization);
  });

  it('gives up with FedexAuthError when the renewed token is refused too', async () => {
    handler = (req, res) =>
      req.path === '/oauth/token' ? tokenOk(res) : fedexError(res, 401, 'NOT.AUTHORIZED.ERROR');
    await assert.rejects(client().track(['1']), (e) => e instanceof FedexAuthError && e.nonRetryable);
    assert.equal(apiCalls().length, 2);
    assert.equal(tokenCalls().length, 2);
  });

  it('after a 403 from the token endpoint, fails fast for the whole lockout', async () => {
    let clock = new Date('2026-11-21T16:00:00Z');
    handler = (req, res) =>
      req.path === '/oauth/token' ? fedexError(res, 403, 'FORBIDDEN.ERROR') : json(res, 200, {});
    const c = client({ now: () => clock });
    await assert.rejects(
      c.track(['1']),
      (e) => e instanceof FedexRateLimitError && e.scope === 'auth_lockout' && e.retryAfterMs === 600_000,
    );
    assert.equal(store.locked?.toISOString(), '2026-11-21T16:10:00.000Z');
    clock = new Date('2026-11-21T16:09:00Z');
    await assert.rejects(
      c.track(['1']),
      (e) => e instanceof FedexRateLimitError && e.retryAfterMs === 60_000 && /locked/.test(e.message),
    );
    assert.equal(seen.length, 1, 'no request during the lockout');
    clock = new Date('2026-11-21T16:10:01Z');
    handler = (req, res) => (req.path === '/oauth/token' ? tokenOk(res) : json(res, 200, { output: {} }));
    await c.track(['1']);
    assert.equal(apiCalls().length, 1);
  });

  it('splits tracking into batches of 30 and gathers per-number errors', async () => {
    handler = (req, res) => {
      if (req.path === '/oauth/token') return tokenOk(res);
      const body = JSON.parse(req.body) as {
        trackingInfo: Array<{ trackingNumberInfo: { trackingNumber: string } }>;
      };
      json(res, 200, {
        output: {
          completeTrackResults: body.trackingInfo.map(({ trackingNumberInfo: { trackingNumber } }) => ({
            trackingNumber,
            trackResults: [
              trackingNumber.endsWith('7')
                ? {
                    trackingNumberInfo: { trackingNumber },
                    error: { code: 'TRACKING.TRACKINGNUMBER.NOTFOUND', message: 'nope' },
                  }
                : {
                    trackingNumberInfo: { trackingNumber },
                    latestStatusDetail: { code: 'IT' },
                    scanEvents: [{ date: '2026-11-21T10:00:00-05:00' }],
                  },
            ],
          })),
        },
      });
    };
    const numbers = Array.from({ length: 65 }, (_, i) => String(100000000000 + i));
    const { updates, errors } = await client().track(numbers);
    assert.deepEqual(
      apiCalls().map((s) => (JSON.parse(s.body) as { trackingInfo: unknown[] }).trackingInfo.length),
      [30, 30, 5],
    );
    assert.equal(errors.length, 6);
    assert.equal(updates.length, 59);
    assert.equal(updates[0]?.eventTime, '2026-11-21T15:00:00.000Z');
  });

  it('finds an earlier shipment by reference, and reads only "not found" as none', async () => {
    let mode: 'found' | 'cancelled' | 'notfound' | 'down' = 'found';
    handler = (req, res) => {
      if (req.path === '/oauth/token') return tokenOk(res);
      if (mode === 'notfound') return fedexError(res, 404, 'NOT.FOUND.ERROR');
      if (mode === 'down') return fedexError(res, 503, 'SERVICE.UNAVAILABLE.ERROR');
      const code = mode === 'found' ? 'OC' : 'CA';
      json(res, 200, {
        output: {
          completeTrackResults: [
            {
              trackingNumber: '7940',
              trackResults: [
                { trackingNumberInfo: { trackingNumber: '7940' }, latestStatusDetail: { code } },
              ],
            },
          ],
        },
      });
    };
    const c = client();
    assert.deepEqual(await c.findShipmentByReference('SO-1001', '2026-11-23'), {
      trackingNumber: '7940',
      status: 'label_created',
      rawCode: 'OC',
    });
    const body = JSON.parse(apiCalls()[0]!.body);
    assert.equal(body.referencesInformation.value, 'SO-1001');
    assert.equal(body.referencesInformation.accountNumber, '740561073');
    mode = 'cancelled';
    assert.equal(await c.findShipmentByReference('SO-1001'), null);
    mode = 'notfound';
    assert.equal(await c.findShipmentByReference('SO-1001'), null);
    mode = 'down';
    await assert.rejects(c.findShipmentByReference('SO-1001'), FedexUnavailableError);
  });

  it('turns 4xx, 429 and 5xx into typed errors', async () => {
    let status = 400;
    handler = (req, res) => {
      if (req.path === '/oauth/token') return tokenOk(res);
      if (status === 429)
        return json(res, 429, {
          errors: [{ code: 'X', message: 'Daily transaction quota exceeded. Retry after 12:00AM GMT' }],
        });
      fedexError(res, status, status === 400 ? 'ACCOUNT.NUMBER.MISMATCH' : 'INTERNAL.SERVER.ERROR');
    };
    const c = client({ now: () => new Date('2026-11-21T23:00:00Z') });
    await assert.rejects(
      c.createShipment(shipmentRequest()),
      (e) => e instanceof FedexBusinessError && e.code === 'ACCOUNT.NUMBER.MISMATCH',
    );
    status = 429;
    await assert.rejects(
      c.createShipment(shipmentRequest()),
      (e) => e instanceof FedexRateLimitError && e.scope === 'daily_quota' && e.retryAfterMs === 3_600_000,
    );
    status = 500;
    await assert.rejects(
      c.createShipment(shipmentRequest()),
      (e) => e instanceof FedexUnavailableError && e.transport === undefined,
    );
  });

  it('sends a Track call again after a 5xx, twice, but never a create', async () => {
    let failures = 2;
    handler = (req, res) => {
      if (req.path === '/oauth/token') return tokenOk(res);
      if (failures-- > 0) return fedexError(res, 503, 'SERVICE.UNAVAILABLE.ERROR');
      json(res, 200, { output: { completeTrackResults: [] } });
    };
    await client().track(['1']);
    assert.equal(apiCalls().length, 3, 'two 503s ridden out');

    seen = [];
    failures = 3;
    await assert.rejects(client().track(['1']), (e) => e instanceof FedexUnavailableError);
    assert.equal(apiCalls().length, 3, 'the third 503 surfaces');

    seen = [];
    failures = 1;
    await assert.rejects(
      client().createShipment(shipmentRequest()),
      (e) => e instanceof FedexUnavailableError,
    );
    assert.equal(apiCalls().length, 1, 'a create goes back to the activity, which looks up first');
  });

  it('reports a timeout as retryable unavailability', async () => {
    handler = (req, res) => {
      if (req.path === '/oauth/token') return tokenOk(res);
      setTimeout(() => json(res, 200, {}), 500).unref();
    };
    await assert.rejects(
      client({ timeoutMs: 100 }).track(['1']),
      (e) => e instanceof FedexUnavailableError && e.transport === 'timeout' && e.retryable,
    );
  });

  it('tells bad credentials, unknown account and unreachable host apart', async () => {
    handler = (req, res) =>
      req.path === '/oauth/token' ? tokenOk(res) : json(res, 200, { output: { rateReplyDetails: [] } });
    assert.deepEqual(
      await client()
        .testConnection()
        .then((r) => [r.ok, r.reason]),
      [true, 'ok'],
    );

    handler = (req, res) =>
      fedexError(res, 401, 'NOT.AUTHORIZED.ERROR', 'The given client credentials were not valid.');
    assert.deepEqual(
      await client()
        .testConnection()
        .then((r) => [r.ok, r.reason]),
      [false, 'bad_credentials'],
    );

    handler = (req, res) =>
      req.path === '/oauth/token'
        ? tokenOk(res)
        : fedexError(res, 400, 'ACCOUNTNUMBER.REGISTRATION.REQUIRED');
    const account = await client().testConnection();
    assert.deepEqual([account.ok, account.reason], [false, 'unknown_account']);
    assert.doesNotMatch(account.message, /740561073/, 'the full account number stays out of the message');

    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const deadUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    assert.deepEqual(
      await client({ baseUrl: deadUrl })
        .testConnection()
        .then((r) => [r.ok, r.reason]),
      [false, 'unreachable'],
    );
  });

  it('stops waiting for the rate limiter when the activity is cancelled, and sends nothing', async () => {
    // A limiter with no room: it grants nothing until the caller gives up.
    const { limiter: full, gaveUp } = fullLimiter();
    const cancel = new AbortController();
    const pending = client({ limiter: full, signal: cancel.signal }).createShipment(shipmentRequest());
    cancel.abort(new Error('activity cancelled'));
    await assert.rejects(pending, /activity cancelled/);
    assert.equal(gaveUp(), 1, 'the limiter heard the caller give up (a shared limiter then takes nothing)');

    const gone = new AbortController();
    gone.abort(new Error('cancelled before the call'));
    await assert.rejects(
      client({ signal: gone.signal }).createShipment(shipmentRequest()),
      /cancelled before/,
    );
    assert.deepEqual(seen, [], 'no token request and no API call');
  });

  it('audits every call and never logs or audits secrets or tokens', async () => {
    handler = (req, res) => {
      if (req.path === '/oauth/token') return tokenOk(res);
      fedexError(res, 400, 'BAD.REQUEST', `echo ${SECRET}`);
    };
    await assert.rejects(client().createShipment(shipmentRequest()), FedexBusinessError);
    assert.deepEqual(
      audits.map((a) => [a.action, a.outcome, a.httpStatus]),
      [
        ['fedex.oauth', 'ok', 200],
        ['fedex.createShipment', 'error', 400],
      ],
    );
    assert.equal(audits[1]?.correlationId, 'order/plex-demo/SO-1001');
    assert.equal(audits[1]?.details.code, 'BAD.REQUEST');
    const everything = logged + JSON.stringify(audits);
    assert.ok(logged.length > 0, 'something was logged');
    assert.doesNotMatch(everything, new RegExp(SECRET));
    assert.doesNotMatch(everything, /access-token-\d+-xyz/);
    assert.doesNotMatch(everything, /Bearer/);
  });
});

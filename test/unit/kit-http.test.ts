// The kit's HTTP call path (connectors/kit/http.ts) against a real 127.0.0.1 server that scripts its
// answers (test/bad-input/scripted-http.ts): every bad answer ends in the right typed error, 429s
// and 5xx are waited out or surfaced by the rules, and cancellation ends every wait. Waits are
// observed through an injected clock (its sleep records and returns at once), never timed; random
// is a constant 0.5, so every jitter is exact.

import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import pino from 'pino';
import { z } from 'zod';
import {
  ApiAuthError,
  ApiConflictError,
  ApiNotFoundError,
  ApiPermissionError,
  ApiRateLimitError,
  ApiUnavailableError,
  ApiValidationError,
  parseRateLimitReset,
} from '../../connectors/kit/answers';
import { ConnectorError } from '../../connectors/kit/errors';
import {
  HttpCaller,
  tokenAuth,
  type CallAuditEntry,
  type CallRequest,
  type HttpCallerOptions,
} from '../../connectors/kit/http';
import type { TokenProvider } from '../../connectors/kit/tokens';
import { registerSecret } from '../../lib/logger';
import type { RateLimiter } from '../../lib/ratelimit';
import { json, startScriptedHttp, type Reply, type ScriptedHttp } from '../bad-input/scripted-http';
import { fullLimiter } from '../helpers/limiter';

const KEY = 'acme-key-7f3c9e21';
registerSecret(KEY);
/** A whole second, so an HTTP date (second precision) gives an exact wait. */
const T0 = Date.parse('2026-03-02T10:00:00Z');

const Order = z.object({
  id: z.string(),
  lines: z.array(z.object({ part: z.string(), quantity: z.number() })),
});
const ORDER = { id: 'SO-1', lines: [{ part: 'P-1', quantity: 2 }] };

const logLines: string[] = [];
const log = pino({ level: 'debug' }, { write: (line: string) => void logLines.push(line) });

/** A clock whose sleep records the wait, moves `now` on and returns at once. */
function fakeClock() {
  const slept: number[] = [];
  let now = T0;
  return {
    slept,
    now: () => now,
    clock: {
      now: () => now,
      sleep: async (ms: number) => {
        slept.push(ms);
        now += ms;
      },
    },
  };
}

function countingLimiter() {
  const calls: Array<{ key: string; signal?: AbortSignal }> = [];
  const limiter: RateLimiter = {
    acquire: async (key, _cost, opts) => {
      calls.push({ key, ...(opts?.signal ? { signal: opts.signal } : {}) });
    },
  };
  return { calls, limiter };
}

let server: ScriptedHttp;

function setup(over: Partial<HttpCallerOptions> = {}) {
  const time = fakeClock();
  const audit: CallAuditEntry[] = [];
  const limit = countingLimiter();
  const caller = new HttpCaller({
    system: 'Acme',
    baseUrl: `${server.url}/api/`,
    auth: { headers: () => ({ 'x-api-key': KEY }), what: 'the API key' },
    limiter: limit.limiter,
    limitKey: 'acme:main',
    audit: (entry) => void audit.push(entry),
    log,
    timeoutMs: 2_000,
    clock: time.clock,
    random: () => 0.5,
    ...over,
  });
  return { caller, audit, limiter: limit, ...time };
}

const getOrder = (extra: Partial<CallRequest<typeof Order>> = {}): CallRequest<typeof Order> => ({
  operation: 'getOrder',
  method: 'GET',
  path: '/orders/SO-1',
  pathTemplate: '/orders/{id}',
  query: { $filter: "status eq 'open'", token: 'q-secret' },
  answer: Order,
  ...extra,
});
const postShipment = (extra: Partial<CallRequest<z.ZodType>> = {}): CallRequest<z.ZodType> => ({
  operation: 'createShipment',
  method: 'POST',
  path: '/shipments',
  json: { order: 'SO-1' },
  answer: z.object({ id: z.string() }),
  ...extra,
});

/** The error a call ends in, checked to be a ConnectorError that never names the key or the query. */
async function failure(promise: Promise<unknown>): Promise<ConnectorError> {
  const err = await promise.then(
    () => assert.fail('the call succeeded'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof ConnectorError, `not a ConnectorError: ${String(err)}`);
  assert.ok(!err.message.includes(KEY) && !err.message.includes('q-secret'), err.message);
  return err;
}

/** Script the server: one reply per request in order, the last one repeated. */
function answers(...replies: Reply[]) {
  let i = 0;
  server.script = () => replies[Math.min(i++, replies.length - 1)] as Reply;
}

const status = (code: number, headers: Record<string, string> = {}, body: unknown = { error: 'x' }) =>
  json(body, code, headers);

before(async () => {
  server = await startScriptedHttp(() => json(ORDER));
});
after(async () => {
  await server.stop();
  assert.ok(!logLines.some((l) => l.includes(KEY)), 'a log line carries the API key');
});
beforeEach(() => {
  server.requests.length = 0;
  server.script = () => json(ORDER);
});

describe('kit/http: a call that goes well', () => {
  it('takes a rate-limit slot, sends the credentials and the query, and returns the answer through the schema', async () => {
    const { caller, audit, limiter } = setup();
    const controller = new AbortController();
    const order = await caller.call(getOrder({ attempt: { signal: controller.signal } }));
    assert.deepEqual(order, ORDER);
    assert.equal(limiter.calls.length, 1);
    assert.equal(limiter.calls[0]?.key, 'acme:main');
    assert.ok(limiter.calls[0]?.signal, 'the limiter got the signal');
    const seen = server.requests[0];
    assert.equal(seen?.path, '/api/orders/SO-1');
    assert.equal(seen?.headers['x-api-key'], KEY);
    assert.deepEqual(seen?.query, [
      ['$filter', "status eq 'open'"],
      ['token', 'q-secret'],
    ]);
    assert.deepEqual(audit, [
      {
        system: 'Acme',
        operation: 'getOrder',
        method: 'GET',
        path: '/orders/{id}',
        outcome: 'ok',
        attempt: 1,
        status: 200,
        durationMs: 0,
      },
    ]);
  });

  it('accepts an empty 204 where the schema allows nothing', async () => {
    const { caller } = setup();
    answers({ kind: 'raw', status: 204, body: '' });
    const answer = await caller.request(postShipment({ answer: z.undefined() }));
    assert.equal(answer.status, 204);
    assert.equal(answer.data, undefined);
  });

  it('follows a next link on its own origin, and refuses to send the credentials to another', async () => {
    const { caller } = setup();
    await caller.call(getOrder({ path: `${server.url}/api/orders?$skiptoken=2`, query: {} }));
    assert.equal(server.requests[0]?.query[0]?.[0], '$skiptoken');
    const err = await failure(caller.call(getOrder({ path: 'https://elsewhere.example/api/orders' })));
    assert.ok(err instanceof ApiValidationError);
    assert.equal(server.requests.length, 1);
  });
});

describe('kit/http: answers that cannot be read are unavailable, naming the operation and path', () => {
  it('an HTML maintenance page', async () => {
    const { caller, audit } = setup();
    answers({
      kind: 'raw',
      status: 200,
      headers: { 'content-type': 'text/html' },
      body: '<html><body>Down for maintenance</body></html>',
    });
    const err = await failure(caller.call(getOrder()));
    assert.ok(err instanceof ApiUnavailableError);
    assert.match(
      err.message,
      /^Acme getOrder \(GET \/orders\/\{id\}\) answered HTTP 200, but the answer is not JSON \(text\/html/,
    );
    assert.match(err.message, /HTML page/);
    assert.ok(!err.message.includes('maintenance</body>'), 'the body is not quoted');
    assert.equal(err.transport, undefined);
    assert.equal(audit[0]?.outcome, 'error');
    assert.equal(server.requests.length, 1, 'an unreadable answer is not sent again inline');
  });

  it('truncated JSON', async () => {
    const { caller } = setup();
    answers({
      kind: 'raw',
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: '{"id":"SO-1","lines":[',
    });
    const err = await failure(caller.call(getOrder()));
    assert.ok(err instanceof ApiUnavailableError);
    assert.match(
      err.message,
      /is not JSON \(application\/json, 22 characters\): Unexpected end of JSON input/,
    );
  });

  it('a field of the wrong type, named with the first schema problem', async () => {
    const { caller } = setup();
    answers(
      json({
        id: 'SO-1',
        lines: [
          { part: 'P-1', quantity: '2' },
          { part: 7, quantity: 1 },
        ],
      }),
    );
    const err = await failure(caller.call(getOrder()));
    assert.ok(err instanceof ApiUnavailableError);
    assert.match(
      err.message,
      /does not have the shape this connector reads: lines\[0\]\.quantity: .*expected number.*\(and 1 more\)/,
    );
    assert.deepEqual(
      err.details.map((d) => d.field),
      ['lines[0].quantity', 'lines[1].part'],
    );
    assert.ok(err.action?.includes('base URL'));
  });

  it('an empty body where JSON was expected', async () => {
    const { caller } = setup();
    answers({ kind: 'raw', status: 200, body: '' });
    const err = await failure(caller.call(getOrder()));
    assert.match(err.message, /the answer is empty where a JSON answer was expected/);
  });

  it('an 80 MB body: reading stops at the size limit, long before the end, and it is not read again', async () => {
    const total = 80 * 1024 * 1024;
    let written = 0;
    let closed!: (bytes: number) => void;
    const writtenAtClose = new Promise<number>((resolve) => (closed = resolve));
    const flood: Server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(64 * 1024, ' ');
      res.on('close', () => closed(written));
      const pump = () => {
        while (written < total && !res.destroyed) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        if (!res.destroyed) res.end();
      };
      pump();
    });
    await new Promise<void>((resolve) => flood.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = flood.address() as AddressInfo;
      const { caller, audit } = setup({
        baseUrl: `http://127.0.0.1:${port}`,
        maxResponseBytes: 4 * 1024 * 1024,
      });
      const err = await failure(caller.call(getOrder()));
      assert.ok(err instanceof ApiUnavailableError);
      assert.match(err.message, /larger than the cap of 4194304 bytes/);
      assert.equal(err.transport, undefined, 'the server did answer');
      assert.equal(audit.length, 1, 'sent once: a resend would bring the same bytes');
      assert.equal(audit[0]?.transport, 'too_large');
      const bytes = await writtenAtClose;
      assert.ok(bytes < total / 4, `the server wrote ${bytes} of ${total} bytes`);
    } finally {
      await new Promise<void>((resolve) => {
        flood.close(() => resolve());
        flood.closeAllConnections();
      });
    }
  });
});

describe('kit/http: transport errors are unavailable with `transport`, resent only when repeatable', () => {
  it('no answer until the timeout: a GET is sent three times with backoff, then surfaces', async () => {
    const { caller, slept, audit } = setup({ timeoutsMs: { GET: 200 } });
    server.script = () => ({ kind: 'hang' });
    const err = await failure(caller.call(getOrder()));
    assert.ok(err instanceof ApiUnavailableError);
    assert.equal(err.transport, 'timeout');
    assert.match(
      err.message,
      /^Acme getOrder \(GET \/orders\/\{id\}\): no answer within 200 ms \(sent 3 times\)$/,
    );
    assert.equal(server.requests.length, 3);
    assert.deepEqual(slept, [375, 750], 'backoff 250 ms doubling, plus half of it again (random 0.5)');
    assert.deepEqual(
      audit.map((a) => [a.attempt, a.transport, a.outcome]),
      [
        [1, 'timeout', 'error'],
        [2, 'timeout', 'error'],
        [3, 'timeout', 'error'],
      ],
    );
  });

  it('no answer to a POST: surfaces at once (the write may have happened)', async () => {
    const { caller, slept } = setup({ timeoutMs: 200 });
    server.script = () => ({ kind: 'hang' });
    const err = await failure(caller.call(postShipment()));
    assert.equal(err.transport, 'timeout');
    assert.equal(server.requests.length, 1);
    assert.deepEqual(slept, []);
  });

  it('a connection dropped mid-answer is a network error', async () => {
    const { caller } = setup();
    answers(
      { kind: 'drop', status: 200, contentType: 'application/json', body: JSON.stringify(ORDER) },
      json(ORDER),
    );
    assert.deepEqual(await caller.call(getOrder()), ORDER, 'the GET was sent again and got its answer');
    answers({ kind: 'drop', status: 200, contentType: 'application/json', body: JSON.stringify(ORDER) });
    server.requests.length = 0;
    const err = await failure(caller.call(postShipment()));
    assert.equal(err.transport, 'network');
    assert.equal(server.requests.length, 1);
  });

  it('connection refused and an unknown host are network errors', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const refused = await failure(setup({ baseUrl: `http://127.0.0.1:${port}` }).caller.call(getOrder()));
    assert.ok(refused instanceof ApiUnavailableError);
    assert.equal(refused.transport, 'network');
    assert.match(refused.message, /the connection failed \(ECONNREFUSED\) \(sent 3 times\)/);
    const dns = await failure(
      setup({ baseUrl: 'http://ml-connector-test.invalid' }).caller.call(postShipment()),
    );
    assert.equal(dns.transport, 'network');
    assert.match(dns.message, /the connection failed \((ENOTFOUND|EAI_AGAIN)\)/);
  });
});

describe('kit/http: statuses map to kinds', () => {
  const table: Array<[number, new (...a: never[]) => ConnectorError, string]> = [
    [400, ApiValidationError, 'validation'],
    [401, ApiAuthError, 'auth'],
    [403, ApiPermissionError, 'permission'],
    [404, ApiNotFoundError, 'not_found'],
    [408, ApiUnavailableError, 'unavailable'],
    [409, ApiConflictError, 'conflict'],
    [412, ApiConflictError, 'conflict'],
    [418, ApiValidationError, 'validation'],
    [422, ApiValidationError, 'validation'],
    [500, ApiUnavailableError, 'unavailable'],
    [503, ApiUnavailableError, 'unavailable'],
  ];
  for (const [code, Class, kind] of table) {
    it(`HTTP ${code} is ${kind}`, async () => {
      const { caller } = setup();
      answers(status(code));
      const err = await failure(caller.call(postShipment()));
      assert.ok(err instanceof Class, err.name);
      assert.equal(err.kind, kind);
      assert.equal(err.status, code);
      assert.match(
        err.message,
        new RegExp(`^Acme createShipment \\(POST /api/shipments\\): Acme .*\\(HTTP ${code}\\)`),
      );
    });
  }

  it("a connector's classes replace the kit's, and its hook reads its own error body", async () => {
    class AcmeAuthError extends ConnectorError {
      readonly kind = 'auth';
    }
    class AcmeOutOfStockError extends ConnectorError {
      readonly kind = 'business';
    }
    const seen: unknown[] = [];
    const { caller } = setup({
      errors: { auth: AcmeAuthError },
      refine: (answer, ctx) => {
        seen.push({ json: answer.json, subject: ctx.subject, kind: ctx.error.kind });
        const body = z.object({ code: z.string(), message: z.string() }).safeParse(answer.json);
        if (body.success && body.data.code === 'NO_STOCK') {
          return new AcmeOutOfStockError(`Acme ${ctx.operation}: ${body.data.message}`, {
            status: answer.status,
            code: body.data.code,
            action: 'Book the stock in Acme, then retry the order.',
          });
        }
        return undefined;
      },
    });
    answers(status(422, {}, { code: 'NO_STOCK', message: `part P-1 has 0 on hand (key ${KEY})` }));
    const err = await failure(caller.call(postShipment({ subject: 'order SO-1' })));
    assert.ok(err instanceof AcmeOutOfStockError);
    assert.equal(err.code, 'NO_STOCK');
    assert.match(err.message, /part P-1 has 0 on hand \(key \[redacted\]\)$/);
    assert.deepEqual(seen[0], {
      json: { code: 'NO_STOCK', message: `part P-1 has 0 on hand (key ${KEY})` },
      subject: 'order SO-1',
      kind: 'validation',
    });
    answers(status(401));
    assert.ok((await failure(caller.call(postShipment()))) instanceof AcmeAuthError);
  });
});

describe('kit/http: 429 is waited out within the attempt, else handed to Temporal with retryAfterMs', () => {
  const cases: Array<[string, (now: number) => Record<string, string>, number]> = [
    ['Retry-After in seconds', () => ({ 'retry-after': '7' }), 7_000],
    [
      'Retry-After as an HTTP date',
      (now) => ({ 'retry-after': new Date(now + 12_000).toUTCString() }),
      12_000,
    ],
    ['X-RateLimit-Reset in seconds to wait', () => ({ 'x-ratelimit-reset': '30' }), 30_000],
    [
      'X-RateLimit-Reset in epoch seconds',
      (now) => ({ 'x-ratelimit-reset': String(now / 1000 + 20) }),
      20_000,
    ],
    [
      'X-RateLimit-Reset in epoch milliseconds',
      (now) => ({ 'x-ratelimit-reset': String(now + 15_000) }),
      15_000,
    ],
    ['no header: a whole default window', () => ({}), 60_000],
  ];
  for (const [name, headers, waitMs] of cases) {
    it(name, async () => {
      const { caller, slept, audit, limiter } = setup();
      answers(status(429, headers(T0)), json(ORDER));
      assert.deepEqual(await caller.call(getOrder()), ORDER);
      assert.deepEqual(slept, [waitMs + 500], 'the wait plus jitter (random 0.5 of 1 s)');
      assert.equal(limiter.calls.length, 2, 'the resend takes its own slot');
      assert.deepEqual(
        audit.map((a) => [a.attempt, a.status, a.errorKind, a.retryInMs]),
        [
          [1, 429, 'rate_limited', waitMs + 500],
          [2, 200, undefined, undefined],
        ],
      );
    });
  }

  it('a wait longer than the attempt has left is not taken: rate_limited with retryAfterMs', async () => {
    const { caller, slept } = setup();
    answers(status(429, { 'retry-after': '7' }));
    const err = await failure(caller.call(getOrder({ attempt: { waitBudgetMs: () => 5_000 } })));
    assert.ok(err instanceof ApiRateLimitError);
    assert.equal(err.retryAfterMs, 7_500);
    assert.equal(err.retryable, true);
    assert.match(err.message, /\(HTTP 429\); retry in 8 s/);
    assert.deepEqual(slept, []);
    assert.equal(server.requests.length, 1);
  });

  it('at most maxRateLimitWaits inline waits, and none longer than maxInlineWaitMs', async () => {
    const { caller, slept } = setup({ maxRateLimitWaits: 2 });
    answers(status(429, { 'retry-after': '1' }));
    const err = await failure(caller.call(getOrder()));
    assert.equal(err.retryAfterMs, 1_500);
    assert.deepEqual(slept, [1_500, 1_500]);
    assert.equal(server.requests.length, 3);

    server.requests.length = 0;
    const capped = setup({ maxInlineWaitMs: 5_000 });
    answers(status(429, { 'retry-after': '7' }));
    assert.equal((await failure(capped.caller.call(getOrder()))).retryAfterMs, 7_500);
    assert.deepEqual(capped.slept, []);
    assert.equal(server.requests.length, 1);
  });

  it('a write refused with 429 was not processed, so it is sent again after the wait', async () => {
    const { caller, slept } = setup();
    answers(status(429, { 'retry-after': '2' }), json({ id: 'SH-1' }));
    assert.deepEqual(await caller.call(postShipment()), { id: 'SH-1' });
    assert.deepEqual(slept, [2_500]);
  });

  it('the wait heartbeats, and a failing heartbeat does not fail the call', async () => {
    const { caller } = setup();
    let beats = 0;
    const heartbeat = () => {
      beats++;
      throw new Error('heartbeat refused');
    };
    answers(status(429, { 'retry-after': '2' }), json(ORDER));
    assert.deepEqual(await caller.call(getOrder({ attempt: { heartbeat } })), ORDER);
    assert.ok(beats >= 2, `beats: ${beats}`);
  });
});

describe('kit/http: 5xx storms', () => {
  it('a GET is sent again twice with backoff, then unavailable', async () => {
    const { caller, slept } = setup();
    answers(status(503));
    const err = await failure(caller.call(getOrder()));
    assert.ok(err instanceof ApiUnavailableError);
    assert.equal(err.status, 503);
    assert.equal(server.requests.length, 3);
    assert.deepEqual(slept, [375, 750]);
  });

  it('a GET that meets one 5xx gets its answer', async () => {
    const { caller } = setup();
    answers(status(502), json(ORDER));
    assert.deepEqual(await caller.call(getOrder()), ORDER);
  });

  it('a POST surfaces at once; one the connector marks repeatable is sent again', async () => {
    const { caller, slept } = setup();
    answers(status(500));
    await failure(caller.call(postShipment()));
    assert.equal(server.requests.length, 1);
    assert.deepEqual(slept, []);
    server.requests.length = 0;
    await failure(caller.call(postShipment({ repeatable: true })));
    assert.equal(server.requests.length, 3);
  });

  it('a backoff longer than the attempt has left is not taken', async () => {
    const { caller } = setup();
    answers(status(500));
    await failure(caller.call(getOrder({ attempt: { waitBudgetMs: () => 100 } })));
    assert.equal(server.requests.length, 1);
  });
});

describe('kit/http: the late-write guard', () => {
  it('a write is not sent once the attempt has no time left; a read still is', async () => {
    const { caller, audit } = setup();
    const err = await failure(caller.call(postShipment({ attempt: { waitBudgetMs: () => 0 } })));
    assert.ok(err instanceof ApiUnavailableError);
    assert.match(
      err.message,
      /^Acme createShipment \(POST \/api\/shipments\): not sent: the activity attempt's time is used up/,
    );
    assert.equal(server.requests.length, 0);
    assert.equal(audit.length, 0, 'nothing was sent, so nothing is audited');
    await caller.call(getOrder({ attempt: { waitBudgetMs: () => 0 } }));
    assert.equal(server.requests.length, 1);
  });

  it('a 429 wait that uses up the attempt does not end in a late write', async () => {
    const { caller, now } = setup();
    const deadline = T0 + 2_500;
    answers(status(429, { 'retry-after': '2' }), json({ id: 'SH-1' }));
    const err = await failure(
      caller.call(postShipment({ attempt: { waitBudgetMs: () => deadline - now() } })),
    );
    assert.match(err.message, /not sent/);
    assert.equal(server.requests.length, 1);
  });
});

describe('kit/http: cancellation ends every wait at once, and nothing is sent after it', () => {
  const stopped = new Error('activity cancelled');

  it('the rate-limit wait', async () => {
    const full = fullLimiter();
    const { caller } = setup({ limiter: full.limiter });
    const controller = new AbortController();
    const call = caller.call(getOrder({ attempt: { signal: controller.signal } }));
    controller.abort(stopped);
    await assert.rejects(call, (e) => e === stopped);
    assert.equal(full.gaveUp(), 1);
    assert.equal(server.requests.length, 0);
  });

  it('a rate-limit wait longer than the attempt has left ends as rate_limited, not sent', async () => {
    const full = fullLimiter();
    const { caller } = setup({ limiter: full.limiter });
    const err = await failure(caller.call(getOrder({ attempt: { waitBudgetMs: () => 30 } })));
    assert.ok(err instanceof ApiRateLimitError);
    assert.equal(err.retryAfterMs, 7_500);
    assert.match(err.message, /no request slot under the rate limit within the activity attempt's time/);
    assert.equal(server.requests.length, 0);
  });

  for (const [name, reply] of [
    ['a 429 pause', status(429, { 'retry-after': '2' })],
    ['a backoff pause', status(503)],
  ] as const) {
    it(name, async () => {
      let entered!: () => void;
      const sleeping = new Promise<void>((resolve) => (entered = resolve));
      const { caller } = setup({
        clock: { now: () => T0, sleep: () => (entered(), new Promise<void>(() => undefined)) },
      });
      answers(reply);
      const controller = new AbortController();
      const call = caller.call(getOrder({ attempt: { signal: controller.signal } }));
      await sleeping;
      controller.abort(stopped);
      await assert.rejects(call, (e) => e === stopped);
      assert.equal(server.requests.length, 1);
    });
  }

  it('a request in flight', async () => {
    const { caller, audit } = setup();
    server.script = () => ({ kind: 'hang' });
    const controller = new AbortController();
    const call = caller.call(getOrder({ attempt: { signal: controller.signal } }));
    while (server.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    controller.abort(stopped);
    await assert.rejects(call, (e) => e === stopped);
    assert.equal(audit[0]?.outcome, 'cancelled');
  });

  it('an attempt already cancelled sends nothing', async () => {
    const { caller } = setup();
    await assert.rejects(
      caller.call(getOrder({ attempt: { signal: AbortSignal.abort(stopped) } })),
      (e) => e === stopped,
    );
    assert.equal(server.requests.length, 0);
  });
});

describe('kit/http: credentials', () => {
  for (const [name, bad] of [
    ['a line break', `${KEY}\n`],
    ['a character outside Latin-1', `${KEY}€`],
  ]) {
    it(`a key with ${name} is an auth error naming the problem, not sent and not retried`, async () => {
      const { caller, audit } = setup({
        auth: { headers: () => ({ 'x-api-key': bad as string }), what: 'the API key' },
      });
      const err = await failure(caller.call(getOrder()));
      assert.ok(err instanceof ApiAuthError);
      assert.match(err.message, /the API key contains a character that cannot be sent in a header/);
      assert.match(err.action ?? '', /Check the stored credential/);
      assert.equal(err.transport, undefined);
      assert.equal(server.requests.length, 0);
      assert.equal(audit.length, 0);
    });
  }

  it('a request header that cannot be sent is a validation error', async () => {
    const { caller } = setup();
    const err = await failure(caller.call(postShipment({ headers: { 'x-idempotency-key': 'a\r\nb' } })));
    assert.ok(err instanceof ApiValidationError);
    assert.equal(server.requests.length, 0);
  });

  it('401 after expiry: the token is renewed once and the request sent again', async () => {
    const issued = ['tok-expired-1', 'tok-fresh-22'];
    const invalidated: string[] = [];
    const provider: TokenProvider = {
      getToken: async () => ({ value: issued[0] as string }),
      invalidate: (token) => {
        invalidated.push(token);
        if (issued[0] === token) issued.shift();
      },
    };
    const { caller, audit } = setup({ auth: tokenAuth(provider) });
    server.script = (req) =>
      req.headers.authorization === 'Bearer tok-fresh-22' ? json({ id: 'SH-1' }) : status(401);
    assert.deepEqual(await caller.call(postShipment()), { id: 'SH-1' });
    assert.deepEqual(invalidated, ['tok-expired-1']);
    assert.deepEqual(
      audit.map((a) => [a.attempt, a.status]),
      [
        [1, 401],
        [2, 200],
      ],
    );
  });

  it('401 to a credential that cannot be renewed (a static key, or a fresh token refused too) is auth', async () => {
    const { caller } = setup({
      auth: { headers: () => ({ 'x-api-key': KEY }), invalidate: () => undefined },
    });
    answers(status(401));
    assert.ok((await failure(caller.call(getOrder()))) instanceof ApiAuthError);
    assert.equal(server.requests.length, 1);

    server.requests.length = 0;
    let n = 0;
    const provider: TokenProvider = {
      getToken: async () => ({ value: `tok-${++n}-abcdef` }),
      invalidate: () => undefined,
    };
    const renewing = setup({ auth: tokenAuth(provider) });
    assert.ok((await failure(renewing.caller.call(getOrder()))) instanceof ApiAuthError);
    assert.equal(server.requests.length, 2, 'renewed once, not in a loop');
  });
});

describe('kit/http: audit', () => {
  it('a failing sink does not change the outcome', async () => {
    for (const audit of [
      () => {
        throw new Error('audit table gone');
      },
      async () => Promise.reject(new Error('audit table gone')),
    ]) {
      const { caller } = setup({ audit });
      assert.deepEqual(await caller.call(getOrder()), ORDER);
      answers(status(404));
      assert.ok((await failure(caller.call(getOrder()))) instanceof ApiNotFoundError);
      server.script = () => json(ORDER);
    }
  });

  it('entries carry the path without its query, never a header or a secret', async () => {
    const { caller, audit } = setup();
    answers(status(503), json(ORDER));
    await caller.call(getOrder({ pathTemplate: undefined, correlationId: 'wf-1' }));
    assert.deepEqual(
      audit.map((a) => [a.path, a.attempt, a.status, a.correlationId]),
      [
        ['/api/orders/SO-1', 1, 503, 'wf-1'],
        ['/api/orders/SO-1', 2, 200, 'wf-1'],
      ],
    );
    const text = JSON.stringify(audit);
    assert.ok(!text.includes(KEY) && !text.includes('q-secret'));
  });
});

describe('kit/http: X-RateLimit-Reset by magnitude', () => {
  it('seconds to wait below 1e9, epoch seconds below 1e12, epoch milliseconds above; the past is no wait', () => {
    assert.equal(parseRateLimitReset('0', T0), 0);
    assert.equal(parseRateLimitReset('2.5', T0), 2_500);
    assert.equal(parseRateLimitReset('999999999', T0), 999_999_999_000);
    assert.equal(parseRateLimitReset(String(T0 / 1000 + 3), T0), 3_000);
    assert.equal(parseRateLimitReset(String(T0 + 3), T0), 3);
    assert.equal(parseRateLimitReset(String(T0 / 1000 - 60), T0), 0);
    assert.equal(parseRateLimitReset('soon', T0), undefined);
    assert.equal(parseRateLimitReset(null, T0), undefined);
  });
});

import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { connectorFailure as plexApplicationFailure } from '../../activities/failure';
import {
  PlexAuthError,
  PlexForbiddenError,
  PlexNotFoundError,
  PlexPermissionProblem,
  PlexRateLimitError,
  PlexUnavailableError,
  PlexValidationError,
  plexErrorFromResponse,
  plexRateLimitWaitMs,
} from '../../connectors/plex/errors';
import { IDS } from './plex-fixtures';
import { freshWorld, orderRoutes, type OrderWorld } from './plex-routes';
import { json, startScriptedPlex, testClient, TEST_KEY, type ScriptedPlex } from './plex-server';

const NOW = Date.parse('2026-11-20T10:00:00Z');
const ctx = (path = '/sales/v1/orders', scope = {}) => ({
  operation: 'listOrders',
  method: 'GET',
  path,
  scope,
  nowMs: NOW,
  random: () => 0,
});
const answer = (status: number, body: unknown, headers: Record<string, string> = {}) => ({
  status,
  text: JSON.stringify(body),
  headers: new Headers(headers),
});
const NOT_AUTH = { code: 'REQUEST_NOT_AUTHENTICATED', message: 'The request could not be authenticated.' };

describe('Plex error typing', () => {
  it('401 is an auth error that names the key, the tenant and the API product', () => {
    const err = plexErrorFromResponse(
      answer(401, NOT_AUTH),
      ctx('/sales/v1/releases', { tenantId: 'ten-1' }),
    );
    assert.ok(err instanceof PlexAuthError);
    assert.equal(err.type, 'PlexAuthError');
    assert.equal(err.retryable, false);
    assert.equal(err.code, 'REQUEST_NOT_AUTHENTICATED');
    assert.match(err.message, /Consumer Key/);
    assert.match(err.message, /grant the app's key access to tenant ten-1/);
    assert.match(
      err.message,
      /subscribe the app to the "Sales Releases API" API product \(collection "sales"\)/,
    );
  });

  it('403 is forbidden, names the product and says re-authenticating does not help', () => {
    const err = plexErrorFromResponse(
      answer(403, { code: 'FORBIDDEN', message: 'no' }),
      ctx('/shipping/v1-beta1/customer-shippers/x', { customerId: '123456' }),
    );
    assert.ok(err instanceof PlexForbiddenError);
    assert.equal(err.retryable, false);
    assert.match(err.message, /"Customer Shippers API" API product \(collection "shipping"\) for PCN 123456/);
    assert.match(err.message, /re-authenticating does not help/);
  });

  it('404 is not found, names the record and the possible subscription gap', () => {
    const err = plexErrorFromResponse(answer(404, { code: 'RESOURCE_NOT_FOUND', message: 'x' }), {
      ...ctx('/mdm/v1/customers/abc'),
      subject: 'customer abc',
    });
    assert.ok(err instanceof PlexNotFoundError);
    assert.match(err.message, /customer abc not found/);
    assert.match(err.message, /"Customers API"/);
  });

  it('429 waits for Retry-After when given, else a whole minute', () => {
    const withHeader = plexErrorFromResponse(answer(429, {}, { 'retry-after': '7' }), ctx());
    assert.ok(withHeader instanceof PlexRateLimitError);
    assert.equal(withHeader.retryable, true);
    assert.equal(withHeader.retryAfterMs, 7_000);
    const without = plexErrorFromResponse(answer(429, {}), ctx());
    assert.equal((without as PlexRateLimitError).retryAfterMs, 60_000);
    assert.equal(
      plexRateLimitWaitMs(null, NOW, () => 0.5),
      61_000,
    );
  });

  it('5xx is unavailable and retryable', () => {
    for (const status of [500, 502, 503]) {
      const err = plexErrorFromResponse(answer(status, { code: 'X', message: 'boom' }), ctx());
      assert.ok(err instanceof PlexUnavailableError, String(status));
      assert.equal(err.retryable, true);
    }
  });

  it('400 is a validation error carrying the errors list', () => {
    const body = {
      code: 'VALIDATION',
      message: 'Invalid',
      errors: [{ code: 'FIELD', message: 'status is not valid' }],
    };
    const err = plexErrorFromResponse(answer(400, body), ctx('/shipping/v1-beta1/customer-shippers/x'));
    assert.ok(err instanceof PlexValidationError);
    assert.equal(err.retryable, false);
    assert.deepEqual(err.details, [{ code: 'FIELD', message: 'status is not valid' }]);
    assert.match(err.message, /status is not valid/);
  });

  it('turns into ApplicationFailures: final for permissions, delayed retry for 429', () => {
    const auth = plexApplicationFailure(plexErrorFromResponse(answer(401, NOT_AUTH), ctx()));
    assert.ok(auth instanceof ApplicationFailure);
    assert.equal(auth.type, 'PlexAuthError');
    assert.equal(auth.nonRetryable, true);
    const limited = plexApplicationFailure(
      plexErrorFromResponse(answer(429, {}, { 'retry-after': '3' }), ctx()),
    );
    assert.ok(limited instanceof ApplicationFailure);
    assert.equal(limited.nonRetryable, false);
    assert.equal(limited.nextRetryDelay, 3_000);
    const down = plexApplicationFailure(plexErrorFromResponse(answer(503, {}), ctx()));
    assert.equal((down as ApplicationFailure).nonRetryable, false);
    const plain = new Error('not Plex');
    assert.equal(plexApplicationFailure(plain), plain);
  });
});

describe('Plex errors from the client', () => {
  let server: ScriptedPlex;
  let world: OrderWorld;
  before(async () => {
    server = await startScriptedPlex();
  });
  after(() => server.stop());
  beforeEach(() => {
    world = freshWorld();
    server.routes = orderRoutes(world);
    server.requests.length = 0;
  });

  it('sends the key and the tenant / PCN headers', async () => {
    await testClient(server.url).client.getOrder(IDS.order);
    await testClient(server.url, { tenantId: 'ten-1' }).client.getOrder(IDS.order);
    await testClient(server.url, { customerId: '123456' }).client.getOrder(IDS.order);
    const [plain, tenant, pcn] = server.requests;
    assert.equal(plain!.headers['x-plex-connect-api-key'], TEST_KEY);
    assert.equal(plain!.headers['x-plex-connect-tenant-id'], undefined);
    assert.equal(tenant!.headers['x-plex-connect-tenant-id'], 'ten-1');
    assert.equal(pcn!.headers['x-plex-connect-customer-id'], '123456');
  });

  it('an order with lines but no releases is a permission problem naming the Sales Releases API', async () => {
    world.hideReleases = true;
    await assert.rejects(testClient(server.url).client.loadOrder(IDS.order), (err: Error) => {
      assert.ok(err instanceof PlexPermissionProblem);
      assert.equal(err.type, 'PlexPermissionProblem');
      assert.equal(err.retryable, false);
      assert.match(err.message, /has 2 line\(s\) but Plex returned no releases/);
      assert.match(err.message, /subscribe the app to the "Sales Releases API" API product/);
      return true;
    });
  });

  it('a customer the order names that 404s is a permission problem naming the Customers API', async () => {
    world.hideCustomer = true;
    await assert.rejects(
      testClient(server.url, { tenantId: 'ten-9' }).client.loadOrder(IDS.order),
      (err: Error) => {
        assert.ok(err instanceof PlexPermissionProblem);
        assert.match(err.message, new RegExp(`names customer ${IDS.customer}, but Plex answered 404`));
        assert.match(
          err.message,
          /"Customers API" API product \(collection "mdm"\) and grant it access to tenant ten-9/,
        );
        return true;
      },
    );
  });

  it('tells 401 from 403 on the same call', async () => {
    server.routes = [
      [
        'GET',
        /^\/sales\/v1\/orders\/.+$/,
        () => json({ code: 'REQUEST_NOT_AUTHENTICATED', message: 'x' }, 401),
      ],
    ];
    await assert.rejects(testClient(server.url).client.getOrder(IDS.order), PlexAuthError);
    server.routes = [
      ['GET', /^\/sales\/v1\/orders\/.+$/, () => json({ code: 'FORBIDDEN', message: 'x' }, 403)],
    ];
    await assert.rejects(testClient(server.url).client.getOrder(IDS.order), PlexForbiddenError);
  });

  it('backs off on 429 and retries, then surfaces the rate limit', async () => {
    let calls = 0;
    server.routes = [
      ['GET', /^\/sales\/v1\/orders\/.+$/, () => (++calls === 1 ? json({}, 429) : json({ id: IDS.order }))],
    ];
    const ok = testClient(server.url);
    assert.equal((await ok.client.getOrder(IDS.order)).id, IDS.order);
    assert.deepEqual(ok.sleeps, [60_000]);
    assert.deepEqual(
      ok.audit.map((a) => [a.httpStatus, a.outcome]),
      [
        [429, 'error'],
        [200, 'ok'],
      ],
    );

    server.routes = [
      [
        'GET',
        /^\/sales\/v1\/orders\/.+$/,
        () => ({ status: 429, body: {}, headers: { 'retry-after': '2' } }),
      ],
    ];
    const limited = testClient(server.url, { rateLimitRetries: 2 });
    await assert.rejects(limited.client.getOrder(IDS.order), (err: Error) => {
      assert.ok(err instanceof PlexRateLimitError);
      assert.equal(err.retryAfterMs, 2_000);
      return true;
    });
    assert.deepEqual(limited.sleeps, [2_000, 2_000]);
  });

  it('does not wait inline when Plex asks for longer than the cap', async () => {
    server.routes = [
      [
        'GET',
        /^\/sales\/v1\/orders\/.+$/,
        () => ({ status: 429, body: {}, headers: { 'retry-after': '600' } }),
      ],
    ];
    const t = testClient(server.url);
    await assert.rejects(t.client.getOrder(IDS.order), PlexRateLimitError);
    assert.deepEqual(t.sleeps, []);
  });

  it('a 5xx and an unreachable host are retryable unavailability', async () => {
    server.routes = [['GET', /.*/, () => json({ code: 'INTERNAL', message: 'x' }, 500)]];
    await assert.rejects(testClient(server.url).client.getOrder(IDS.order), (err: Error) => {
      assert.ok(err instanceof PlexUnavailableError);
      assert.equal(err.retryable, true);
      return true;
    });
    const closed = await startScriptedPlex();
    await closed.stop();
    await assert.rejects(testClient(closed.url).client.getOrder(IDS.order), (err: Error) => {
      assert.ok(err instanceof PlexUnavailableError);
      assert.equal(err.transport, 'network');
      return true;
    });
  });

  it('never puts the key into audit entries or error messages', async () => {
    server.routes = [
      ['GET', /.*/, () => json({ code: 'REQUEST_NOT_AUTHENTICATED', message: `bad key ${TEST_KEY}` }, 401)],
    ];
    const t = testClient(server.url);
    const err = await t.client.getOrder(IDS.order).catch((e: Error) => e);
    assert.ok(err instanceof PlexAuthError);
    assert.ok(!err.message.includes(TEST_KEY), err.message);
    assert.ok(!JSON.stringify(t.audit).includes(TEST_KEY));
  });
});

import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import {
  createFedexClientFactory,
  fedexCarrierPort,
  fedexDemoOverride,
  type FedexCarrierPort,
  type FedexConnectionSettings,
} from '../../connectors/fedex/carrier';
import { fedexOrderReference, fedexServiceType } from '../../connectors/fedex/mapping';
import type { ShipmentRequest } from '../../domain/model';
import { createRepos, type Repos } from '../../lib/db/repos';
import { createLogger } from '../../lib/logger';
import { unlimited } from '../../lib/ratelimit';
import { generateMasterKey, Vault } from '../../lib/vault';
import { DEMO_CLIENT, startFedexSimulator, type FedexSimulator } from '../../simulators/fedex';
import { forEachDatabase, uniqueName } from '../helpers/db';
import { shipmentRequest } from '../unit/fedex-fixtures';

const log = createLogger({ level: 'silent' });
const ACCOUNT = DEMO_CLIENT.accounts[0]!;
const LOCKED = { clientId: 'locked-client', clientSecret: 'locked-secret', accounts: [ACCOUNT] };
const today = () => new Date().toISOString().slice(0, 10);

/**
 * Runs an activity as attempt `attempt` with the order workflow's 60-s start-to-close (the mock's
 * default is 1 s, which a create could not be sent in) and returns its result or the failure it threw.
 */
async function run<T>(attempt: number, fn: () => Promise<T>): Promise<T> {
  // Expected failures would otherwise be logged as warnings by the mock worker.
  return new MockActivityEnvironment(
    { attempt, startToCloseTimeoutMs: 60_000 },
    { logger: new DefaultLogger('ERROR') },
  ).run(fn);
}
async function failure(attempt: number, fn: () => Promise<unknown>): Promise<ApplicationFailure> {
  const err = await run(attempt, fn).then(
    () => assert.fail('expected the activity to fail'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof ApplicationFailure, `expected an ApplicationFailure, got ${String(err)}`);
  return err;
}

forEachDatabase('FedEx activities against the simulator', (getDb) => {
  let sim: FedexSimulator;
  let repos: Repos;
  let settings: Record<string, FedexConnectionSettings>;
  let carrier: (connection: string) => FedexCarrierPort;

  before(async () => {
    sim = await startFedexSimulator({
      clients: [DEMO_CLIENT, LOCKED],
      authThrottle: { limit: 100, windowSeconds: 1 },
      clockSpeed: 1,
    });
    repos = createRepos(getDb().db);
    const base = { baseUrl: sim.url, clientId: DEMO_CLIENT.clientId, clientSecret: DEMO_CLIENT.clientSecret };
    settings = {
      'fedex-main': { ...base, accountNumber: ACCOUNT },
      'fedex-wrong-account': { ...base, accountNumber: '123456789' },
      'fedex-locked': {
        ...base,
        clientId: LOCKED.clientId,
        clientSecret: LOCKED.clientSecret,
        accountNumber: ACCOUNT,
      },
    };
    const clients = createFedexClientFactory({
      db: getDb().db,
      vault: new Vault({ db: getDb().db, keys: { current: generateMasterKey(), previous: [] } }),
      repos,
      limits: { transactionsPer10s: 1400, tokenRequestsPerMinute: 100, lockoutMinutes: 10 },
      settings: (name) => {
        const s = settings[name];
        if (!s) throw new Error(`no FedEx connection ${name}`);
        return s;
      },
      log,
      limiter: unlimited,
      timeoutMs: 1500,
    });
    carrier = (connection) => fedexCarrierPort({ clients, repos, log }, connection);
  });
  after(async () => {
    sim.setFaults({ errorRate: 0, timeoutRate: 0 });
    await sim.stop();
  });

  function order(overrides: Partial<ShipmentRequest> = {}) {
    const orderNumber = uniqueName('SO').toUpperCase();
    const workflowId = `order/plex-test/${orderNumber}`;
    const request = shipmentRequest({
      idempotencyKey: `${workflowId}/shipment`,
      shipDate: today(),
      references: { orderNumber, poNumber: 'PO-77' },
      ...overrides,
    });
    const reference = fedexOrderReference(orderNumber, fedexServiceType(request));
    const input = {
      workflowId,
      erpConnection: 'plex-test',
      orderKey: orderNumber,
      carrierConnection: 'fedex-main',
      request,
    };
    return { input, reference };
  }
  const shipmentsFor = (reference: string) => sim.counters().shipmentsByReference[reference] ?? 0;
  const tokenRequests = (clientId = DEMO_CLIENT.clientId) =>
    sim.counters().tokenRequestsByClient[clientId] ?? 0;

  it('creates a shipment once: label bytes stored by reference, a replay returns the stored result', async () => {
    const { input, reference } = order();
    const created = await run(1, () => carrier(input.carrierConnection).createShipment(input));
    assert.match(created.masterTrackingNumber, /^\d{12}$/);
    assert.equal(created.adopted, false);
    assert.ok(created.label && 'ref' in created.label);
    const label = await repos.labels.get(created.label.ref);
    assert.equal(label?.content.subarray(0, 4).toString('latin1'), '%PDF');
    assert.ok(created.cost && created.cost.amount > 0);

    const row = await repos.shipments.findByKey(input.request.idempotencyKey);
    assert.equal(row?.status, 'created');
    assert.equal(row?.label_ref, created.label.ref);

    const replay = await run(2, () => carrier(input.carrierConnection).createShipment(input));
    assert.equal(replay.masterTrackingNumber, created.masterTrackingNumber);
    assert.deepEqual(replay.label, created.label);
    assert.equal(shipmentsFor(reference), 1);

    const audit = await repos.audit.listForWorkflow(input.workflowId);
    assert.deepEqual(
      audit.map((a) => a.outcome),
      ['created', 'replayed'],
    );
    // The client wrote one audit row per external call, correlated by the idempotency key.
    const external = await getDb()
      .db.selectFrom('audit_log')
      .select(['action', 'http_status'])
      .where('correlation_id', '=', input.request.idempotencyKey)
      .where('actor', '=', 'fedex-client')
      .execute();
    assert.deepEqual(external, [{ action: 'fedex.createShipment', http_status: 200 }]);
  });

  it('a crash between FedEx answer and the database write: the retry finds the first shipment', async () => {
    const { input, reference } = order();
    const markCreated = repos.shipments.markCreatedWithLabels.bind(repos.shipments);
    let crashes = 1;
    repos.shipments.markCreatedWithLabels = async (...args) => {
      if (crashes-- > 0) throw new Error('worker died before the database write');
      return markCreated(...args);
    };
    try {
      await assert.rejects(
        run(1, () => carrier(input.carrierConnection).createShipment(input)),
        /worker died/,
      );
    } finally {
      repos.shipments.markCreatedWithLabels = markCreated;
    }
    assert.equal(shipmentsFor(reference), 1);
    const retried = await run(2, () => carrier(input.carrierConnection).createShipment(input));
    assert.equal(retried.adopted, true);
    assert.equal(retried.label, null);
    assert.equal(shipmentsFor(reference), 1);
    const [simShipment] = sim.shipments().filter((s) => s.customerReferences.includes(reference));
    assert.equal(retried.masterTrackingNumber, simShipment?.masterTrackingNumber);
    assert.equal((await repos.shipments.findByKey(input.request.idempotencyKey))?.status, 'created');
  });

  it('an answer lost to a timeout: retryable, and the retry adopts instead of buying a second label', async () => {
    const { input, reference } = order();
    await run(1, () => carrier('fedex-main').track(['999999999999'], { only: 'changed' }));
    sim.setFaults({ timeoutRate: 1, timeoutDelayMs: 0 });
    let lost: ApplicationFailure;
    try {
      lost = await failure(1, () => carrier(input.carrierConnection).createShipment(input));
    } finally {
      sim.setFaults({ timeoutRate: 0 });
    }
    assert.equal(lost.type, 'FedexUnavailableError');
    assert.equal(lost.nonRetryable, false);
    assert.equal(shipmentsFor(reference), 1, 'FedEx created it although the answer never came');
    const retried = await run(2, () => carrier(input.carrierConnection).createShipment(input));
    assert.equal(retried.adopted, true);
    assert.equal(shipmentsFor(reference), 1);
  });

  it('a 5xx storm is retryable and creates nothing; the retry creates exactly one', async () => {
    const { input, reference } = order();
    await run(1, () => carrier('fedex-main').track(['999999999999'], { only: 'changed' }));
    sim.setFaults({ errorRate: 1 });
    let err: ApplicationFailure;
    try {
      err = await failure(1, () => carrier(input.carrierConnection).createShipment(input));
    } finally {
      sim.setFaults({ errorRate: 0 });
    }
    assert.equal(err.type, 'FedexUnavailableError');
    assert.equal(err.nonRetryable, false);
    assert.match(err.message, /INTERNAL\.SERVER\.ERROR|SERVICE\.UNAVAILABLE\.ERROR/);
    assert.equal(shipmentsFor(reference), 0);
    const created = await run(2, () => carrier(input.carrierConnection).createShipment(input));
    assert.equal(created.adopted, false);
    assert.equal(shipmentsFor(reference), 1);
  });

  it('a 429 window: retryable with nextRetryDelay of at least the 10-second window', async () => {
    const { input, reference } = order();
    await run(1, () => carrier('fedex-main').track(['999999999999'], { only: 'changed' }));
    sim.storm(1);
    const err = await failure(1, () => carrier(input.carrierConnection).createShipment(input));
    assert.equal(err.type, 'FedexRateLimitError');
    assert.equal(err.nonRetryable, false);
    const delayMs = Number(err.nextRetryDelay);
    assert.ok(delayMs >= 10_000 && delayMs < 11_000, `nextRetryDelay ${String(err.nextRetryDelay)}`);
    await new Promise((r) => setTimeout(r, 1100));
    const created = await run(2, () => carrier(input.carrierConnection).createShipment(input));
    assert.match(created.masterTrackingNumber, /^\d{12}$/);
    assert.equal(shipmentsFor(reference), 1);
  });

  it('token expiry mid-run: the next activity renews the token once and succeeds', async () => {
    const first = order();
    await run(1, () => carrier(first.input.carrierConnection).createShipment(first.input));
    const before = tokenRequests();
    sim.expireTokens();
    const second = order();
    const created = await run(1, () => carrier(second.input.carrierConnection).createShipment(second.input));
    assert.match(created.masterTrackingNumber, /^\d{12}$/);
    assert.equal(tokenRequests() - before, 1);
    assert.equal(shipmentsFor(second.reference), 1);
  });

  it('a token-endpoint lockout: retryable after the lockout, and no further token requests meanwhile', async () => {
    sim.lockout({ clientId: LOCKED.clientId, seconds: 600 });
    const { input } = order();
    const locked = { ...input, carrierConnection: 'fedex-locked' };
    const err = await failure(1, () => carrier(locked.carrierConnection).createShipment(locked));
    assert.equal(err.type, 'FedexRateLimitError');
    assert.ok(Number(err.nextRetryDelay) > 9 * 60_000, `nextRetryDelay ${String(err.nextRetryDelay)}`);
    const requests = tokenRequests(LOCKED.clientId);
    const again = await failure(2, () => carrier(locked.carrierConnection).createShipment(locked));
    assert.equal(again.type, 'FedexRateLimitError');
    assert.equal(tokenRequests(LOCKED.clientId), requests);
  });

  it('a business rejection is final and keeps FedEx code and message; the row says why', async () => {
    const { input, reference } = order();
    const err = await failure(1, () => carrier('fedex-wrong-account').createShipment(input));
    assert.equal(err.type, 'FedexBusinessError');
    assert.equal(err.nonRetryable, true);
    assert.match(err.message, /ACCOUNTNUMBER\.REGISTRATION\.REQUIRED/);
    assert.equal((err.details?.[0] as { code?: string }).code, 'ACCOUNTNUMBER.REGISTRATION.REQUIRED');
    const row = await repos.shipments.findByKey(input.request.idempotencyKey);
    assert.equal(row?.status, 'failed');
    assert.match(row?.error ?? '', /ACCOUNTNUMBER/);
    assert.equal(shipmentsFor(reference), 0);
  });

  it('tracks in batches, stores each scan once and returns only what changed', async () => {
    const { input } = order();
    const created = await run(1, () => carrier(input.carrierConnection).createShipment(input));
    const first = await run(1, () =>
      carrier('fedex-main').track([created.masterTrackingNumber, '999999999999'], { only: 'changed' }),
    );
    assert.equal(first.updates.length, 1);
    assert.equal(first.updates[0]?.status, 'label_created');
    assert.deepEqual(
      first.errors.map((e) => e.code),
      ['TRACKING.TRACKINGNUMBER.NOTFOUND'],
    );
    const same = await run(1, () =>
      carrier('fedex-main').track([created.masterTrackingNumber], { only: 'changed' }),
    );
    assert.deepEqual(same.updates, []);

    sim.advanceClock(3 * 3600 * 3); // past pickup, even for Ground
    const moved = await run(1, () =>
      carrier('fedex-main').track([created.masterTrackingNumber], { only: 'changed' }),
    );
    assert.equal(moved.updates.length, 1);
    assert.notEqual(moved.updates[0]?.status, 'label_created');
    const row = await repos.shipments.findByKey(input.request.idempotencyKey);
    assert.equal(row?.tracking_status, moved.updates[0]?.status);
    const events = await repos.trackingEvents.listForTrackingNumber(created.masterTrackingNumber);
    assert.equal(events.length, 2);

    // 31 numbers go out as two requests.
    const calls = sim.counters().requestsByEndpoint['POST /track/v1/trackingnumbers'] ?? 0;
    const many = Array.from({ length: 31 }, (_, i) => `1000000000${String(i).padStart(2, '0')}`);
    const batch = await run(1, () => carrier('fedex-main').track(many, { only: 'changed' }));
    assert.equal(batch.errors.length, 31);
    assert.equal((sim.counters().requestsByEndpoint['POST /track/v1/trackingnumbers'] ?? 0) - calls, 2);
  });

  it('cancels the recorded shipment before pickup', async () => {
    const { input } = order();
    await run(1, () => carrier(input.carrierConnection).createShipment(input));
    const answer = await run(1, () => carrier('fedex-main').cancelShipment(input.request.idempotencyKey));
    assert.equal(answer.cancelled, true);
    assert.equal((await repos.shipments.findByKey(input.request.idempotencyKey))?.status, 'cancelled');
    assert.equal(sim.shipments().filter((s) => s.cancelled).length >= 1, true);
    const replay = await failure(2, () => carrier(input.carrierConnection).createShipment(input));
    assert.equal(replay.type, 'ShipmentCancelled');
    assert.equal(replay.nonRetryable, true);
  });
});

it('fedexDemoOverride: all four variables or none; a partial set names what is missing', () => {
  assert.equal(fedexDemoOverride({}), undefined);
  const env = {
    FEDEX_BASE_URL: 'https://apis-sandbox.fedex.com/',
    FEDEX_CLIENT_ID: 'id-1',
    FEDEX_CLIENT_SECRET: 'secret-value-1',
    FEDEX_ACCOUNT_NUMBER: '740561073',
  };
  assert.deepEqual(fedexDemoOverride(env), {
    baseUrl: 'https://apis-sandbox.fedex.com',
    credentials: { clientId: 'id-1', clientSecret: 'secret-value-1' },
    accountNumber: '740561073',
  });
  assert.throws(
    () =>
      fedexDemoOverride({ FEDEX_BASE_URL: env.FEDEX_BASE_URL, FEDEX_CLIENT_SECRET: env.FEDEX_CLIENT_SECRET }),
    (err: Error) =>
      /FEDEX_CLIENT_ID, FEDEX_ACCOUNT_NUMBER missing/.test(err.message) &&
      !err.message.includes('secret-value-1'),
  );
  assert.throws(() => fedexDemoOverride({ ...env, FEDEX_BASE_URL: 'ftp://x' }), /FEDEX_BASE_URL/);
  assert.throws(() => fedexDemoOverride({ ...env, FEDEX_ACCOUNT_NUMBER: '12' }), /FEDEX_ACCOUNT_NUMBER/);
});

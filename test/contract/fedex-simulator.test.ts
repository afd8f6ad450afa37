import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { FedexClient, fedexRateLimit, type FedexClientOptions } from '../../connectors/fedex/client';
import { FedexBusinessError } from '../../connectors/fedex/errors';
import { fedexOrderReference } from '../../connectors/fedex/mapping';
import { SlidingWindowLimiter } from '../../lib/ratelimit';
import { DEMO_CLIENT, startFedexSimulator, type FedexSimulator } from '../../simulators/fedex';
import { MemoryTokenStore, RECIPIENT, SHIPPER, shipmentRequest } from '../unit/fedex-fixtures';

/** The connector end to end against the FedEx simulator (a faithful fake of FedEx's REST API). */
describe('FedexClient against the FedEx simulator', () => {
  let sim: FedexSimulator;
  // One token store and one limiter per process, as in production: clients with the same
  // credentials share the token, and token requests stay under the simulator's throttle (3 per s).
  const tokenStore = new MemoryTokenStore();
  const limiter = new SlidingWindowLimiter((key) =>
    key.startsWith('fedex:oauth:') ? { limit: 2, windowMs: 1_100 } : fedexRateLimit(key),
  );

  before(async () => {
    sim = await startFedexSimulator({ seed: 11, clockSpeed: 0, exceptionShare: 0 });
  });
  after(() => sim.stop());

  function client(overrides: Partial<FedexClientOptions> = {}): FedexClient {
    return new FedexClient({
      connection: 'fedex-sim',
      baseUrl: sim.url,
      clientId: DEMO_CLIENT.clientId,
      clientSecret: DEMO_CLIENT.clientSecret,
      accountNumber: DEMO_CLIENT.accounts[0]!,
      tokenStore,
      limiter,
      timeoutMs: 5_000,
      log: pino({ level: 'silent' }),
      ...overrides,
    });
  }

  it('passes the connection test, and names bad credentials and an unknown account', async () => {
    assert.deepEqual(
      await client()
        .testConnection()
        .then((r) => [r.ok, r.reason]),
      [true, 'ok'],
    );
    const badSecret = await client({ clientSecret: 'wrong-secret' }).testConnection();
    assert.deepEqual([badSecret.ok, badSecret.reason], [false, 'bad_credentials']);
    const badAccount = await client({ accountNumber: '999999999' }).testConnection();
    assert.deepEqual([badAccount.ok, badAccount.reason], [false, 'unknown_account'], badAccount.message);
  });

  it('ships, finds the shipment by reference, tracks, and cancels it', async () => {
    const c = client();
    const req = shipmentRequest({
      idempotencyKey: 'order/sim/SO-5001',
      references: { orderNumber: 'SO-5001', poNumber: 'PO-5001' },
    });
    const created = await c.createShipment(req);
    assert.match(created.masterTrackingNumber, /^\d{12,}$/);
    assert.ok('documents' in created.label && created.label.documents.length === 1);
    assert.ok(
      created.cost && created.cost.amount > 0 && created.cost.currency === 'USD',
      JSON.stringify(created.cost),
    );

    const ref = fedexOrderReference('SO-5001', created.serviceType);
    const found = await c.findShipmentByReference(ref, req.shipDate);
    assert.equal(found?.trackingNumber, created.masterTrackingNumber);

    const { updates, errors } = await c.track([created.masterTrackingNumber, '123456789012']);
    assert.equal(updates[0]?.trackingNumber, created.masterTrackingNumber);
    assert.equal(updates[0]?.status, 'label_created');
    assert.match(updates[0]!.eventTime, /Z$/);
    assert.deepEqual(
      errors.map((e) => [e.trackingNumber, e.code]),
      [['123456789012', 'TRACKING.TRACKINGNUMBER.NOTFOUND']],
    );

    const cancelled = await c.cancelShipment(created.masterTrackingNumber, 'US');
    assert.equal(cancelled.cancelled, true);
    assert.equal(await c.findShipmentByReference(ref, req.shipDate), null);
  });

  it('ships several packages with a ZPL label link', async () => {
    const created = await client().createShipment(
      shipmentRequest({
        idempotencyKey: 'order/sim/SO-5002',
        references: { orderNumber: 'SO-5002' },
        packages: [{ weight: { value: 3, unit: 'KG' } }, { weight: { value: 4, unit: 'LB' } }],
        serviceLevel: 'two_day',
        label: { format: 'ZPL', delivery: 'URL_ONLY' },
      }),
    );
    assert.equal(created.pieceTrackingNumbers.length, 2);
    assert.ok('url' in created.label && /^https?:\/\//.test(created.label.url));
  });

  it('quotes rates and validates addresses', async () => {
    const c = client();
    const quotes = await c.rateQuote({
      shipper: SHIPPER,
      recipient: RECIPIENT,
      packages: [{ weight: { value: 5, unit: 'LB' } }],
    });
    assert.ok(quotes.length > 0);
    assert.ok(quotes.every((q) => q.cost.amount > 0 && q.cost.currency.length === 3));
    const [check] = await c.validateAddress([RECIPIENT]);
    assert.equal(check?.input, RECIPIENT);
    assert.ok(check?.suggestion);
  });

  it('surfaces FedEx business rejections with their code', async () => {
    await assert.rejects(
      client({ accountNumber: '999999999' }).createShipment(
        shipmentRequest({ idempotencyKey: 'order/sim/SO-5003' }),
      ),
      (e) => e instanceof FedexBusinessError && typeof e.code === 'string' && e.code.length > 0,
    );
  });
});

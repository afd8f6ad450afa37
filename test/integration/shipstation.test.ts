import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { ShipStationClient, type ShipStationClientOptions } from '../../connectors/shipstation/client';
import {
  ShipStationForeignUrlError,
  ShipStationImmutableOrderError,
  ShipStationRateLimitError,
} from '../../connectors/shipstation/errors';
import { shipStationOrderKey, toShipStationOrder } from '../../connectors/shipstation/mapping';
import {
  checkWebhookToken,
  parseV1Webhook,
  ShipStationV2WebhookVerifier,
} from '../../connectors/shipstation/webhook';
import { unlimited } from '../../lib/ratelimit';
import {
  DEMO_V1_KEY,
  DEMO_V2_KEY,
  startShipStationSimulator,
  type ShipStationSimulator,
} from '../../simulators/shipstation';
import { SAMPLE_ORDER as ORDER } from '../helpers/orders';

const TOKEN = 'hook-token-0123456789';

/** A webhook receiver on 127.0.0.1 that records raw bodies and their URL paths. */
async function startReceiver(): Promise<{
  url: string;
  hits: Array<{ path: string; body: string; headers: Record<string, unknown> }>;
  stop(): Promise<void>;
}> {
  const hits: Array<{ path: string; body: string; headers: Record<string, unknown> }> = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      hits.push({ path: req.url ?? '', body: Buffer.concat(chunks).toString('utf8'), headers: req.headers });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, hits, stop: () => new Promise((r) => server.close(() => r())) };
}

describe('ShipStationClient against the ShipStation simulator', () => {
  let sim: ShipStationSimulator;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  const client = (over: Partial<ShipStationClientOptions> = {}) =>
    new ShipStationClient({
      connection: 'shipstation-sim',
      v1BaseUrl: sim.url,
      v2BaseUrl: sim.url,
      apiKey: DEMO_V1_KEY.apiKey,
      apiSecret: DEMO_V1_KEY.apiSecret,
      v2ApiKey: DEMO_V2_KEY,
      limiter: unlimited,
      timeoutMs: 5_000,
      log: pino({ level: 'silent' }),
      ...over,
    });

  before(async () => {
    sim = await startShipStationSimulator({ seed: 7, inventory: { 'BRKT-100': 50 } });
    receiver = await startReceiver();
  });
  after(async () => {
    await sim.stop();
    await receiver.stop();
  });

  it('tests the connection: ok, and bad credentials told apart', async () => {
    assert.equal((await client().testConnection()).reason, 'ok');
    assert.equal((await client({ apiSecret: 'wrong-secret' }).testConnection()).reason, 'bad_credentials');
    assert.equal((await client({ v2ApiKey: 'wrong-v2-key' }).testConnection()).reason, 'bad_credentials');
  });

  it('upserts by orderKey, ships, and follows the SHIP_NOTIFY resource_url to the shipment', async () => {
    const c = client();
    await c.subscribeWebhook({
      targetUrl: `${receiver.url}/webhooks/shipstation/${TOKEN}`,
      event: 'SHIP_NOTIFY',
    });
    const first = await c.createOrUpdateOrder(toShipStationOrder(ORDER));
    const edited = toShipStationOrder({ ...ORDER, lines: [{ ...ORDER.lines[0]!, quantity: 5 }] });
    const second = await c.createOrUpdateOrder(edited, { existingOrderId: first.orderId });
    assert.equal(second.orderId, first.orderId, 'same orderKey, same order');
    assert.equal(second.orderKey, shipStationOrderKey('plex-main', 'so-4711'));
    assert.equal(sim.counters().upsertsByOrderKey[second.orderKey], 2);

    sim.shipNow([first.orderId]);
    await sim.flushWebhooks();
    const hit = receiver.hits.find((h) => h.path.endsWith(TOKEN));
    assert.ok(hit, 'the webhook arrived');
    assert.ok(checkWebhookToken(hit.path.split('/').pop(), TOKEN));
    const parsed = parseV1Webhook(hit.body);
    assert.ok(parsed.ok);
    assert.equal(parsed.resourceType, 'SHIP_NOTIFY');
    const res = await c.getByResourceUrl(parsed.resourceUrl);
    assert.equal(res.kind, 'shipments');
    const shipment =
      res.kind === 'shipments' ? res.shipments.find((s) => s.orderKey === second.orderKey) : undefined;
    assert.ok(shipment, 'the shipment for our order');
    assert.ok(shipment.trackingNumber);
    assert.deepEqual(
      shipment.items.map((i) => [i.sku, i.quantity]),
      [['BRKT-100', 5]],
      'the edited quantity shipped',
    );

    // The poll sees the same shipment (same shipmentId: the dedup key for Plex).
    const polled = await c.listShipments({
      createDateStart: new Date(sim.now().getTime() - 3_600_000),
      createDateEnd: new Date(sim.now().getTime() + 60_000),
    });
    assert.ok(polled.some((s) => s.shipmentId === shipment.shipmentId));

    // Shipped: locked against updates, whether the client knows the order id or not.
    await assert.rejects(
      c.createOrUpdateOrder(edited, { existingOrderId: first.orderId }),
      ShipStationImmutableOrderError,
    );
    // Without the id (a retry after a lost answer), ShipStation refuses and the order is read back.
    await assert.rejects(c.createOrUpdateOrder(edited), (err: unknown) => {
      assert.ok(err instanceof ShipStationImmutableOrderError);
      assert.equal(err.orderStatus, 'shipped');
      assert.equal(err.orderId, first.orderId);
      return true;
    });
  });

  it('refuses a forged resource_url pointing elsewhere', async () => {
    await assert.rejects(
      client().getByResourceUrl('https://ssapi.evil.example/shipments?batchId=1'),
      ShipStationForeignUrlError,
    );
  });

  it('reads and sets V2 inventory', async () => {
    const c = client();
    const levels = await c.listInventory({ sku: 'BRKT-100', groupBy: 'location' });
    const level = levels.find((l) => l.sku === 'BRKT-100');
    assert.ok(level?.locationId, 'the seeded location');
    await c.setOnHand('BRKT-100', 17, level.locationId);
    const after = (await c.listInventory({ sku: 'BRKT-100', groupBy: 'location' })).find(
      (l) => l.locationId === level.locationId,
    );
    assert.equal(after?.onHand, 17);
  });

  it('a 429 burst surfaces as a typed rate-limit error once retries are used up', async () => {
    sim.burst(30, 'v1');
    await assert.rejects(client({ rateLimitRetries: 0 }).getOrder(1), (err: unknown) => {
      assert.ok(err instanceof ShipStationRateLimitError);
      assert.ok(err.retryAfterMs > 0);
      return true;
    });
    sim.reset();
  });

  it("verifies the simulator's signed V2 events against its JWKS", async () => {
    const verifier = new ShipStationV2WebhookVerifier({ jwksUrl: sim.jwksUrl });
    const keyId = sim.jwks().keys[0]?.kid;
    assert.ok(keyId);
    // A body signed by a key the JWKS does not hold is refused.
    const r = await verifier.verify(
      {
        'x-shipengine-rsa-sha256-key-id': keyId,
        'x-shipengine-rsa-sha256-signature': Buffer.from('forged').toString('base64'),
        'x-shipengine-timestamp': new Date().toISOString(),
      },
      '{"resource_url":"https://api.shipstation.com/v2/labels/se-1/track","resource_type":"TRACK_EVENT_V2"}',
    );
    assert.deepEqual(r, { ok: false, status: 401, reason: 'signature does not match' });
  });
});

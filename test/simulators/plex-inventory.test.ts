import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import {
  CONTAINERS_PER_PART,
  DEMO_KEY,
  DEMO_TENANT,
  startPlexSimulator,
  type InventoryContainer,
  type InventoryShipment,
  type PlexSimulator,
} from '../../simulators/plex';

/** The simulator's inventory: active containers per part and inventory shipments (create, stage, ship). */

const INVENTORY_LESS_KEY = 'no-inventory-consumer-key';
const SHIPMENTS = '/inventory/v1/inventory-shipping/shipments';
const CONTAINERS = '/inventory/v1/inventory-tracking/containers';
const action = (id: string, verb: 'stage' | 'ship') =>
  `/inventory/v1-beta1/inventory-shipping/shipments/${id}/${verb}`;

interface Answer {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

describe('Plex simulator inventory', () => {
  let sim: PlexSimulator;

  async function call(path: string, opts: { body?: unknown; key?: string } = {}): Promise<Answer> {
    const res = await fetch(`${sim.url}${path}`, {
      method: opts.body === undefined ? 'GET' : 'POST',
      headers: {
        'X-Plex-Connect-Api-Key': opts.key ?? DEMO_KEY.apiKey,
        ...(opts.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    });
    return { status: res.status, body: await res.json() };
  }

  async function containersOf(partNumber: string): Promise<InventoryContainer[]> {
    const [part] = (await call(`/mdm/v1/parts?number=${partNumber}`)).body as { id: string }[];
    const res = await call(`${CONTAINERS}?partId=${part!.id}`);
    assert.equal(res.status, 200);
    return res.body;
  }

  async function create(code: string): Promise<InventoryShipment> {
    const res = await call(SHIPMENTS, { body: { externalShipmentCode: code } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body;
  }

  before(async () => {
    sim = await startPlexSimulator({
      seed: 8,
      rateLimitPerMinute: 100_000,
      keys: [DEMO_KEY, { apiKey: INVENTORY_LESS_KEY, products: ['sales', 'mdm', 'shipping'] }],
    });
  });
  after(() => sim.stop());
  beforeEach(() => {
    sim.reset();
    sim.seedOrders(10, { seed: 4, invalidShare: 0.3 });
  });

  it('seeds full containers for every part, weightless copies included, as a bare array', async () => {
    const parts = (await call('/mdm/v1/parts')).body as { id: string; number: string }[];
    assert.ok(
      parts.some((p) => /-X\d+$/.test(p.number)),
      'a weightless per-order part exists',
    );
    const all = (await call(`${CONTAINERS}?limit=1&updatedAfter=2020-01-01`)).body as InventoryContainer[];
    assert.ok(Array.isArray(all));
    for (const part of parts) {
      const mine = all.filter((c) => c.partId === part.id);
      assert.equal(mine.length, CONTAINERS_PER_PART, part.number);
      assert.ok(mine.every((c) => c.quantity > 0 && c.containerStatus === 'OK' && c.partNo === part.number));
      assert.equal(
        sim.onHand(part.number),
        mine.reduce((n, c) => n + c.quantity, 0),
      );
      assert.equal(sim.onHand(part.id), sim.onHand(part.number));
    }
    const byPart = await containersOf(parts[0]!.number);
    assert.ok(byPart.every((c) => c.partId === parts[0]!.id));
    const locationId = byPart[0]!.locationId;
    assert.equal((await call(`${CONTAINERS}?locationId=${locationId}`)).body.length, all.length);
    assert.deepEqual((await call(`${CONTAINERS}?lotId=00000000-0000-4000-8000-000000000000`)).body, []);
    // Oldest first by addDateTime, so a caller can pick FIFO.
    const added = byPart.map((c) => c.addDateTime);
    assert.deepEqual(added, [...added].sort());
    assert.throws(() => sim.onHand('NO-SUCH-PART'), /no part/);
  });

  it('with stockToCover, seeded orders bring the containers their releases need', async () => {
    sim.reset();
    const parts = (await call('/mdm/v1/parts')).body as { id: string; number: string }[];
    const base = new Map(parts.map((p) => [p.number, sim.onHand(p.number)]));
    sim.seedOrders(150, { seed: 5, invalidShare: 0, stockToCover: true });
    const releases = (await call('/sales/v1/releases')).body as { partNumber: string; quantity: number }[];
    const demand = new Map<string, number>();
    for (const r of releases) demand.set(r.partNumber, (demand.get(r.partNumber) ?? 0) + r.quantity);
    assert.ok(demand.size > 0);
    for (const [part, want] of demand) {
      // The CONTAINERS_PER_PART buffer stays on top of what the releases take.
      assert.ok(sim.onHand(part) >= want + (base.get(part) ?? 0), `${part}: ${sim.onHand(part)} for ${want}`);
    }
  });

  it('creates, stages and ships an inventory shipment: its containers leave stock', async () => {
    const before = await containersOf('BRK-1001');
    const onHand = sim.onHand('BRK-1001');
    const shipment = await create('SS-1001');
    assert.equal(shipment.shipmentStatus, 'Unstaged');
    assert.equal(shipment.externalShipmentCode, 'SS-1001');
    assert.equal(shipment.createdById, DEMO_TENANT.id);

    const picked = before.slice(0, 2).map((c) => c.serialNo);
    const staged = await call(action(shipment.id, 'stage'), { body: { serialNos: picked } });
    assert.equal(staged.status, 202, JSON.stringify(staged.body));
    assert.equal(staged.body.shipmentStatus, 'Staged');
    assert.deepEqual(
      staged.body.containers.map((c: { serialNo: string }) => c.serialNo),
      picked,
    );

    const shipped = await call(action(shipment.id, 'ship'), { body: {} });
    assert.equal(shipped.status, 202, JSON.stringify(shipped.body));
    assert.equal(shipped.body.shipmentStatus, 'Shipped');
    const removed = before[0]!.quantity + before[1]!.quantity;
    assert.equal(sim.onHand('BRK-1001'), onHand - removed);
    const after = await containersOf('BRK-1001');
    assert.equal(after.length, before.length - 2);
    assert.ok(!after.some((c) => picked.includes(c.serialNo)));

    const counters = sim.counters();
    assert.equal(counters.inventoryShipmentsCreated, 1);
    assert.equal(counters.inventoryShipmentsShipped, 1);
    assert.deepEqual(counters.quantityRemovedByPart, { 'BRK-1001': removed });
    assert.equal(counters.callsByEndpoint[`POST ${SHIPMENTS}`], 1);

    const got = await call(`${SHIPMENTS}/${shipment.id}`);
    assert.equal(got.body.shipmentStatus, 'Shipped');
    assert.equal((await call(`${SHIPMENTS}/00000000-0000-4000-8000-000000000000`)).status, 404);
  });

  it('lists shipments by externalShipmentCode and shipmentStatus', async () => {
    const a = await create('SS-A');
    await create('SS-B');
    await call(SHIPMENTS, { body: {} }); // the code is optional in the spec
    const [serial] = (await containersOf('GSK-0310')).map((c) => c.serialNo);
    await call(action(a.id, 'stage'), { body: { serialNos: [serial] } });
    await call(action(a.id, 'ship'), { body: {} });

    const byCode = (await call(`${SHIPMENTS}?externalShipmentCode=SS-A`)).body as InventoryShipment[];
    assert.deepEqual(
      byCode.map((s) => s.id),
      [a.id],
    );
    const unstaged = (await call(`${SHIPMENTS}?shipmentStatus=Unstaged`)).body as InventoryShipment[];
    assert.equal(unstaged.length, 2);
    assert.equal((await call(`${SHIPMENTS}?shipmentStatus=Shipped&limit=1`)).body.length, 1);
    assert.equal((await call(SHIPMENTS)).body.length, 3);
  });

  it('refuses a second ship, an unstaged ship, and stock that is gone', async () => {
    const [first, second] = (await containersOf('HSG-2040')).map((c) => c.serialNo);
    const shipment = await create('SS-TWICE');
    const unstaged = await call(action(shipment.id, 'ship'), { body: {} });
    assert.equal(unstaged.status, 400);
    assert.equal(unstaged.body.errors[0].code, 'SHIPMENT_NOT_STAGED');

    await call(action(shipment.id, 'stage'), { body: { serialNos: [first] } });
    assert.equal((await call(action(shipment.id, 'ship'), { body: {} })).status, 202);
    const onHand = sim.onHand('HSG-2040');
    const again = await call(action(shipment.id, 'ship'), { body: {} });
    assert.equal(again.status, 400);
    assert.equal(again.body.errors[0].code, 'SHIPMENT_ALREADY_SHIPPED');
    const restage = await call(action(shipment.id, 'stage'), { body: { serialNos: [second] } });
    assert.equal(restage.body.errors[0].code, 'SHIPMENT_ALREADY_SHIPPED');
    assert.equal(sim.onHand('HSG-2040'), onHand);
    assert.equal(sim.counters().inventoryShipmentsShipped, 1);

    // Short stock: a shipped container cannot be staged again, nor one staged on another open shipment.
    const other = await create('SS-SHORT');
    const gone = await call(action(other.id, 'stage'), { body: { serialNos: [first, 'CT99999999'] } });
    assert.equal(gone.status, 400);
    assert.deepEqual(
      gone.body.errors.map((e: { code: string }) => e.code),
      ['CONTAINER_NOT_ACTIVE', 'CONTAINER_NOT_ACTIVE'],
    );
    await call(action(other.id, 'stage'), { body: { serialNos: [second] } });
    const third = await create('SS-THIRD');
    const taken = await call(action(third.id, 'stage'), { body: { serialNos: [second] } });
    assert.equal(taken.body.errors[0].code, 'CONTAINER_ALREADY_STAGED');
  });

  it('validates bodies as the spec types them', async () => {
    const long = await call(SHIPMENTS, { body: { externalShipmentCode: 'x'.repeat(51) } });
    assert.equal(long.status, 400);
    assert.equal(long.body.code, 'REQUEST_VALIDATION_FAILED');
    assert.equal((await call(SHIPMENTS, { body: { externalShipmentCode: 7 } })).status, 400);
    // Fields the request schema does not have are ignored, as Plex does.
    const extra = await call(SHIPMENTS, { body: { externalShipmentCode: 'SS-X', items: [] } });
    assert.equal(extra.status, 201);
    assert.equal(extra.body.items, undefined);
    assert.equal(sim.counters().ignoredWriteFields.items, 1);
    for (const bad of [{}, { serialNos: [] }, { serialNos: 'CT00000001' }, { serialNos: ['x'.repeat(26)] }]) {
      const res = await call(action(extra.body.id, 'stage'), { body: bad });
      assert.equal(res.status, 400, JSON.stringify(bad));
    }
    const missing = await call(action('00000000-0000-4000-8000-000000000000', 'ship'), { body: {} });
    assert.equal(missing.status, 404);
  });

  it('keeps the key, product, permission and rate-limit rules', async () => {
    const unsubscribed = await call(CONTAINERS, { key: INVENTORY_LESS_KEY });
    assert.equal(unsubscribed.status, 401);
    assert.equal(unsubscribed.body.code, 'REQUEST_NOT_AUTHENTICATED');
    assert.equal((await call(SHIPMENTS, { key: 'wrong' })).status, 401);

    sim.setFaults({ permissions: { containers: 'empty', inventoryShipmentWrites: 'forbidden' } });
    assert.deepEqual((await call(CONTAINERS)).body, []);
    const forbidden = await call(SHIPMENTS, { body: { externalShipmentCode: 'SS-F' } });
    assert.equal(forbidden.status, 403);
    assert.equal(sim.counters().inventoryShipmentsCreated, 0);
    sim.setFaults({ permissions: { containers: null, inventoryShipmentWrites: null } });

    sim.reset(); // a fresh window: the calls above counted against the key
    sim.setLimits({ rateLimitPerMinute: 1 });
    assert.equal((await call(CONTAINERS)).status, 200);
    assert.equal((await call(CONTAINERS)).status, 429);
  });

  it('answers on-hand through the admin API', async () => {
    const res = await fetch(`${sim.url}/__admin/inventory?part=CVR-3300`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { part: 'CVR-3300', onHand: sim.onHand('CVR-3300') });
    assert.equal((await fetch(`${sim.url}/__admin/inventory?part=NOPE`)).status, 400);
    assert.equal((await fetch(`${sim.url}/__admin/inventory`)).status, 400);
  });
});

import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import pino from 'pino';
import { PlexClient, type PlexAuditEntry, type PlexClientOptions } from '../../connectors/plex/client';
import { PlexAuthError, PlexForbiddenError, PlexValidationError } from '../../connectors/plex/errors';
import { PlexInsufficientStockError } from '../../connectors/plex/inventory';
import { unlimited } from '../../lib/ratelimit';
import { DEMO_KEY, startPlexSimulator, type PlexSimulator } from '../../simulators/plex';

/** PlexClient's inventory methods end to end against the Plex simulator. */

const NO_INVENTORY_KEY = 'no-inventory-consumer-key';
// Seeded containers hold one standard pack: BRK-1001 packs 20, GSK-0310 packs 50.

describe('PlexClient inventory against the Plex simulator', () => {
  let sim: PlexSimulator;
  let audit: PlexAuditEntry[];

  before(async () => {
    sim = await startPlexSimulator({
      seed: 6,
      rateLimitPerMinute: 100_000,
      keys: [DEMO_KEY, { apiKey: NO_INVENTORY_KEY, products: ['sales', 'mdm', 'shipping'] }],
    });
  });
  after(() => sim.stop());
  beforeEach(() => {
    sim.reset();
    sim.seedOrders(6, { seed: 2, invalidShare: 0 });
    audit = [];
  });

  function client(overrides: Partial<PlexClientOptions> = {}): PlexClient {
    return new PlexClient({
      connection: 'plex-sim',
      baseUrl: sim.url,
      apiKey: DEMO_KEY.apiKey,
      limiter: unlimited,
      timeoutMs: 5_000,
      log: pino({ level: 'silent' }),
      audit: async (e) => void audit.push(e),
      ...overrides,
    });
  }

  it('reads on-hand per part number, leaving out numbers Plex does not know', async () => {
    const onHand = await client().onHandByPartNumber(['BRK-1001', 'GSK-0310', 'BRK-1001', 'NO-SUCH']);
    assert.deepEqual(onHand, { 'BRK-1001': sim.onHand('BRK-1001'), 'GSK-0310': sim.onHand('GSK-0310') });
    assert.ok(onHand['BRK-1001']! > 0);
    assert.ok(audit.some((e) => e.action === 'plex.listContainers' && e.outcome === 'ok'));
  });

  it('takes shipped quantities out of stock exactly once per externalShipmentCode', async () => {
    const c = client();
    const brk = sim.onHand('BRK-1001');
    const gsk = sim.onHand('GSK-0310');
    const input = {
      externalShipmentCode: 'ss-shipment-1001',
      items: [
        { partNumber: 'BRK-1001', quantity: 20 },
        { partNumber: 'GSK-0310', quantity: 100 },
        { partNumber: 'BRK-1001', quantity: 20 },
      ],
    };
    const first = await c.recordShippedQuantities(input);
    assert.equal(first.applied, true);
    assert.equal(sim.onHand('BRK-1001'), brk - 40);
    assert.equal(sim.onHand('GSK-0310'), gsk - 100);

    const second = await c.recordShippedQuantities(input);
    assert.deepEqual(second, { applied: false, inventoryShipmentId: first.inventoryShipmentId });
    assert.equal(sim.onHand('BRK-1001'), brk - 40);
    const counters = sim.counters();
    assert.equal(counters.inventoryShipmentsCreated, 1);
    assert.equal(counters.inventoryShipmentsShipped, 1);
    assert.deepEqual(counters.quantityRemovedByPart, { 'BRK-1001': 40, 'GSK-0310': 100 });

    const records = audit.filter((e) => e.action === 'plex.recordShippedQuantities');
    assert.deepEqual(
      records.map((e) => e.details.applied),
      [true, false],
    );
    assert.equal(records[0]!.details.externalShipmentCode, 'ss-shipment-1001');
  });

  it('ships the oldest containers first', async () => {
    const c = client();
    const [part] = await c.findPartsByNumber(['GSK-0310']);
    const before = await c.listContainers(part!.id);
    await c.recordShippedQuantities({
      externalShipmentCode: 'ss-fifo',
      items: [{ partNumber: 'GSK-0310', quantity: 100 }],
    });
    const after = new Set((await c.listContainers(part!.id)).map((x) => x.serialNo));
    const oldest = [...before].sort((a, b) => a.addDateTime!.localeCompare(b.addDateTime!)).slice(0, 2);
    assert.ok(oldest.every((x) => !after.has(x.serialNo)));
    assert.equal(after.size, before.length - 2);
  });

  it('after a crash between create and ship, the next call ships once without a second shipment', async () => {
    const c = client();
    const brk = sim.onHand('BRK-1001');
    const items = [{ partNumber: 'BRK-1001', quantity: 60 }];
    // Crash after the create: an Unstaged shipment with the code exists.
    const created = await c.createInventoryShipment('ss-crash-1');
    const retried = await c.recordShippedQuantities({ externalShipmentCode: 'ss-crash-1', items });
    assert.deepEqual(retried, { applied: true, inventoryShipmentId: created.id });
    assert.equal(sim.onHand('BRK-1001'), brk - 60);
    assert.equal(sim.counters().inventoryShipmentsCreated, 1);

    // Crash after the stage: the staged containers are shipped as they are.
    const staged = await c.createInventoryShipment('ss-crash-2');
    const [part] = await c.findPartsByNumber(['BRK-1001']);
    const [container] = await c.listContainers(part!.id);
    await c.stageInventoryShipment(staged.id, [container!.serialNo]);
    const again = await c.recordShippedQuantities({ externalShipmentCode: 'ss-crash-2', items });
    assert.deepEqual(again, { applied: true, inventoryShipmentId: staged.id });
    assert.equal(sim.onHand('BRK-1001'), brk - 60 - container!.quantity!);

    // The answer to the ship was lost: Plex shipped it, so the retry changes nothing.
    const lost = await c.createInventoryShipment('ss-lost-answer');
    const [next] = await c.listContainers(part!.id);
    await c.stageInventoryShipment(lost.id, [next!.serialNo]);
    await c.shipInventoryShipment(lost.id);
    const onHand = sim.onHand('BRK-1001');
    const retry = await c.recordShippedQuantities({ externalShipmentCode: 'ss-lost-answer', items });
    assert.deepEqual(retry, { applied: false, inventoryShipmentId: lost.id });
    assert.equal(sim.onHand('BRK-1001'), onHand);
    assert.equal(sim.counters().inventoryShipmentsShipped, 3);
  });

  it('two shipments of the same part at once both land: the one whose containers were taken picks again', async () => {
    const before = sim.onHand('BRK-1001');
    // Three worker processes (a client each): all pick the same oldest containers; one stages
    // first, the others pick again.
    const results = await Promise.all(
      ['ss-race-1', 'ss-race-2', 'ss-race-3'].map((code) =>
        client().recordShippedQuantities({
          externalShipmentCode: code,
          items: [{ partNumber: 'BRK-1001', quantity: 40 }],
        }),
      ),
    );
    assert.deepEqual(
      results.map((r) => r.applied),
      [true, true, true],
    );
    assert.equal(sim.onHand('BRK-1001'), before - 120);
    assert.ok(
      audit.some((e) => e.action === 'plex.stageInventoryShipment' && e.outcome === 'error'),
      'the race happened: at least one stage was refused and retried',
    );
  });

  it('within one process, shipments of the same part pick around each other and none is refused', async () => {
    const c = client();
    const before = sim.onHand('BRK-1001');
    const refused = () =>
      audit.filter((e) => e.action === 'plex.stageInventoryShipment' && e.outcome === 'error').length;
    const refusedBefore = refused();
    const results = await Promise.all(
      ['ss-turn-1', 'ss-turn-2', 'ss-turn-3'].map((code) =>
        c.recordShippedQuantities({
          externalShipmentCode: code,
          items: [{ partNumber: 'BRK-1001', quantity: 40 }],
        }),
      ),
    );
    assert.deepEqual(
      results.map((r) => r.applied),
      [true, true, true],
    );
    assert.equal(sim.onHand('BRK-1001'), before - 120);
    assert.equal(refused(), refusedBefore, 'no stage was refused');
  });

  it('refuses short stock and inexact quantities before creating anything', async () => {
    const c = client();
    const brk = sim.onHand('BRK-1001');
    await assert.rejects(
      c.recordShippedQuantities({
        externalShipmentCode: 'ss-short',
        items: [{ partNumber: 'BRK-1001', quantity: brk + 20 }],
      }),
      (err) => err instanceof PlexInsufficientStockError && /only \d+ on hand/.test(err.message),
    );
    await assert.rejects(
      c.recordShippedQuantities({
        externalShipmentCode: 'ss-odd',
        items: [{ partNumber: 'BRK-1001', quantity: 30 }],
      }),
      (err) => err instanceof PlexInsufficientStockError && /split a container/.test(err.message),
    );
    await assert.rejects(
      c.recordShippedQuantities({
        externalShipmentCode: 'ss-unknown',
        items: [{ partNumber: 'NO-SUCH', quantity: 1 }],
      }),
      (err) => err instanceof PlexValidationError && /no part number NO-SUCH/.test(err.message),
    );
    await assert.rejects(c.recordShippedQuantities({ externalShipmentCode: '', items: [] }), RangeError);
    await assert.rejects(
      c.recordShippedQuantities({ externalShipmentCode: 'x'.repeat(51), items: [] }),
      RangeError,
    );
    assert.equal(sim.counters().inventoryShipmentsCreated, 0);
    assert.equal(sim.onHand('BRK-1001'), brk);
  });

  it('names the Inventory API product when the app may not use it', async () => {
    const input = { externalShipmentCode: 'ss-denied', items: [{ partNumber: 'BRK-1001', quantity: 20 }] };
    await assert.rejects(
      client({ apiKey: NO_INVENTORY_KEY }).recordShippedQuantities(input),
      (err) => err instanceof PlexAuthError && /Inventory Operations Management API/.test(err.message),
    );
    sim.setFaults({ permissions: { inventoryShipmentWrites: 'forbidden' } });
    await assert.rejects(
      client().recordShippedQuantities(input),
      (err) =>
        err instanceof PlexForbiddenError &&
        /"Inventory Operations Management API" API product \(collection "inventory"\)/.test(err.message),
    );
    assert.equal(sim.counters().inventoryShipmentsShipped, 0);
  });
});

// The ERP port's contract, run for every ERP in connectors/registry.ts against its simulator over
// HTTP: orders the simulator was seeded with are detected over a window covering now, load with
// lines and a ship-to, take a tracking and a status write-back exactly once (the repeat writes
// nothing), and an unknown order is `not_found`.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { DemoOrder } from '../../connectors/kit/system';
import { SYSTEMS } from '../../connectors/registry';
import type { ErpOrder, ReadyOrderRef } from '../../domain/order';
import { SEED, startHarness, systemsWith, type Harness } from './harness';
import { statusWriteBack, trackingWriteBack, unknownKeyLike } from './fixtures';
import { expectFailure } from './outcome';

/** How many orders the simulator is seeded with. */
const ORDERS = 6;
const HOUR_MS = 3_600_000;

/** A carrier name for write-backs: the registry's first label carrier, as the workflow would send it. */
const CARRIER = SYSTEMS.find((s) => s.role === 'carrier' && (s.mode ?? 'label') === 'label')?.id ?? 'carrier';

for (const system of systemsWith('erp')) {
  describe(`ERP port contract: ${system.title} (simulator seed ${SEED})`, () => {
    let h: Harness;
    let seeded: DemoOrder[];
    let detected: ReadyOrderRef[] | undefined;
    let loaded: ErpOrder | undefined;

    before(async () => {
      h = await startHarness(system);
      const seed = h.simulator.seedDemoOrders;
      assert.ok(seed, `${system.title}'s simulator must offer seedDemoOrders for the ERP contract`);
      seeded = seed(ORDERS, { seed: SEED, firstOrderNumber: 880001 });
      assert.ok(
        seeded.some((o) => !o.invalid),
        `seed ${SEED} gave no order without a data problem; raise ORDERS`,
      );
    });
    after(() => h?.stop());

    /** The ready orders over a window from an hour ago to a minute from now. */
    const detect = async () => {
      if (detected) return detected;
      const now = Date.now();
      detected = await h.inActivity(() =>
        h.erp().detectReadyOrders({ since: new Date(now - HOUR_MS), until: new Date(now + 60_000) }),
      );
      return detected;
    };

    /** The first seeded order without a data problem, loaded. */
    const loadFirst = async () => {
      if (loaded) return loaded;
      const wanted = seeded.find((o) => !o.invalid)!;
      loaded = await h.inActivity(() => h.erp().loadOrder(wanted.orderKey));
      return loaded;
    };

    it('detectReadyOrders finds every seeded order in a window covering now', async () => {
      const sent = h.proxy.requests.length;
      const refs = await detect();
      assert.ok(h.proxy.requests.length > sent, 'the detection reached the simulator through the proxy');
      const keys = new Map(refs.map((r) => [r.orderKey, r]));
      for (const o of seeded) {
        const ref = keys.get(o.orderKey);
        assert.ok(ref, `seeded order ${o.orderNumber} (${o.orderKey}, seed ${SEED}) was not detected`);
        assert.equal(ref.orderNumber, o.orderNumber);
        assert.ok(ref.version, `order ${o.orderNumber} has a version`);
        assert.ok(!Number.isNaN(Date.parse(ref.modifiedAt)), `modifiedAt ${ref.modifiedAt} is a date`);
      }
    });

    it('loadOrder returns the order with its lines and a ship-to', async () => {
      const wanted = seeded.find((o) => !o.invalid)!;
      const order = await loadFirst();
      assert.equal(order.orderKey, wanted.orderKey);
      assert.equal(order.orderNumber, wanted.orderNumber);
      assert.equal(order.connection, h.connection);
      assert.ok(order.lines.length > 0, 'the order has lines');
      for (const line of order.lines) {
        assert.ok(line.sku, `line ${line.lineKey} has a SKU`);
        assert.ok(line.quantity > 0, `line ${line.lineKey} has a quantity`);
      }
      assert.ok(order.shipTo.lines.length > 0, 'the ship-to has a street line');
      assert.ok(order.shipTo.city, 'the ship-to has a city');
      assert.match(order.shipTo.countryCode, /^[A-Z]{2}$/, 'the ship-to has an ISO country code');
    });

    it('writeTracking writes once: the same write-back again writes nothing', async () => {
      const order = await loadFirst();
      const wb = trackingWriteBack(CARRIER, `CNF${SEED}0000001`);
      const first = await h.inActivity(() => h.erp().writeTracking(order, wb));
      assert.deepEqual(first, { written: true }, 'the first write-back is written');
      const again = await h.inActivity(() => h.erp().writeTracking(order, wb));
      assert.deepEqual(again, { written: false }, 'the repeat finds it written and writes nothing');
    });

    it('writeStatus writes once: the same status again writes nothing', async () => {
      const order = await loadFirst();
      const wb = statusWriteBack('Departed carrier facility MEMPHIS, TN', `CNF${SEED}0000001`);
      const first = await h.inActivity(() => h.erp().writeStatus(order, wb));
      assert.deepEqual(first, { written: true }, 'the first status is written');
      const again = await h.inActivity(() => h.erp().writeStatus(order, wb));
      assert.deepEqual(again, { written: false }, 'the repeat finds it written and writes nothing');
    });

    it('loadOrder of a key the ERP does not hold ends in not_found', async () => {
      const known = seeded[0]!.orderKey;
      const unknown = unknownKeyLike(known);
      await expectFailure(() => h.inActivity(() => h.erp().loadOrder(unknown)), {
        kind: 'not_found',
        withinMs: 15_000,
        secrets: h.secrets(),
        context: `loadOrder(${unknown})`,
      });
    });
  });
}

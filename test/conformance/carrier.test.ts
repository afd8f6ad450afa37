// The label carrier port's contract, run for every label carrier in connectors/registry.ts against
// its simulator over HTTP: a shipment is created once per idempotency key (the repeat answers the
// same shipment and buys no second label), its tracking numbers can be tracked, and it can be
// cancelled, twice without harm.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ShipmentResult } from '../../domain/model';
import { isTrackingStatus } from '../../domain/status';
import { SEED, startHarness, systemsWith, type Harness } from './harness';
import type { ProxiedRequest } from './fault-proxy';
import { canonicalOrder, canonicalShipmentRequest } from './fixtures';

const ERP_CONNECTION = 'conformance-erp';

/** The requests a call sent, answered or not, from the proxy's log. */
async function sentDuring<T>(
  h: Harness,
  call: () => Promise<T>,
): Promise<{ value: T; sent: ProxiedRequest[] }> {
  const mark = h.proxy.requests.length;
  const value = await call();
  return { value, sent: h.proxy.requests.slice(mark) };
}

const isWrite = (r: ProxiedRequest) => r.method !== 'GET' && r.method !== 'HEAD';

for (const system of systemsWith('carrier')) {
  describe(`label carrier port contract: ${system.title} (simulator seed ${SEED})`, () => {
    let h: Harness;
    const order = canonicalOrder(ERP_CONNECTION, `label-${SEED}`);
    const input = {
      workflowId: `order/${ERP_CONNECTION}/${order.orderKey}`,
      erpConnection: ERP_CONNECTION,
      orderKey: order.orderKey,
      request: canonicalShipmentRequest(order, `ship/${ERP_CONNECTION}/${order.orderKey}`),
    };
    let created: { result: ShipmentResult; createRequest: ProxiedRequest } | undefined;

    before(async () => {
      h = await startHarness(system);
    });
    after(() => h?.stop());

    /** The shipment of the canonical order, created once; and the request that created it. */
    const createOnce = async () => {
      if (created) return created;
      const { value, sent } = await sentDuring(h, () =>
        h.inActivity(() => h.carrier().createShipment(input)),
      );
      const writes = sent.filter((r) => isWrite(r) && r.status !== undefined && r.status < 300);
      assert.ok(writes.length > 0, 'creating a shipment sent a write to the carrier through the proxy');
      created = { result: value, createRequest: writes.at(-1)! };
      return created;
    };

    it('createShipment answers tracking numbers and a label', async () => {
      const { result } = await createOnce();
      assert.ok(result.masterTrackingNumber, 'a master tracking number');
      assert.ok(result.pieceTrackingNumbers.length >= 1, 'a tracking number per package');
      assert.ok(result.carrierShipmentId, "the carrier's shipment id");
      assert.ok(result.serviceType, 'the service the label was bought for');
      assert.ok(result.label, 'a label');
      assert.ok(
        'ref' in result.label ? result.label.ref : result.label.url,
        'the label is stored (a reference) or linked (a URL)',
      );
    });

    it('createShipment again with the same idempotency key answers the same shipment and buys no second label', async () => {
      const first = await createOnce();
      const { value: again, sent } = await sentDuring(h, () =>
        h.inActivity(() => h.carrier().createShipment(input)),
      );
      assert.equal(again.masterTrackingNumber, first.result.masterTrackingNumber);
      assert.deepEqual(again.pieceTrackingNumbers, first.result.pieceTrackingNumbers);
      const repeated = sent.filter(
        (r) => r.method === first.createRequest.method && r.path === first.createRequest.path,
      );
      assert.equal(
        repeated.length,
        0,
        `the repeat sent ${first.createRequest.method} ${first.createRequest.path} again (a second label)`,
      );
    });

    it("track answers updates for the shipment's tracking numbers", async () => {
      const { result } = await createOnce();
      const asked = [result.masterTrackingNumber];
      const tracked = await h.inActivity(() => h.carrier().track(asked));
      assert.ok(
        tracked.updates.some((u) => u.trackingNumber === result.masterTrackingNumber),
        `an update for ${result.masterTrackingNumber} (errors: ${JSON.stringify(tracked.errors)})`,
      );
      for (const u of tracked.updates) {
        assert.ok(asked.includes(u.trackingNumber), `update for ${u.trackingNumber}, which was not asked`);
        assert.ok(isTrackingStatus(u.status), `status ${u.status} is a canonical tracking status`);
        assert.ok(!Number.isNaN(Date.parse(u.eventTime)), `eventTime ${u.eventTime} is a date`);
      }
    });

    it('cancelShipment cancels it, and a second cancel is harmless', async () => {
      await createOnce();
      const key = input.request.idempotencyKey;
      const { sent } = await sentDuring(h, () => h.inActivity(() => h.carrier().cancelShipment(key)));
      assert.ok(
        sent.some((r) => isWrite(r) && r.status !== undefined && r.status < 300),
        'the cancellation reached the carrier',
      );
      await h.inActivity(() => h.carrier().cancelShipment(key));
    });
  });
}

// The warehouse port's contract, run for every warehouse system in connectors/registry.ts against
// its simulator over HTTP: a canonical order is pushed once (the same content again sends nothing)
// and can be cancelled while it is open, twice without harm.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { SubmitOrderResult } from '../../domain/fulfilment';
import { SEED, startHarness, systemsWith, type Harness } from './harness';
import { canonicalOrder } from './fixtures';

const ERP_CONNECTION = 'conformance-erp';

for (const system of systemsWith('fulfilment')) {
  describe(`warehouse port contract: ${system.title} (simulator seed ${SEED})`, () => {
    let h: Harness;
    const order = canonicalOrder(ERP_CONNECTION, `wh-${SEED}`);
    const workflowId = `order/${ERP_CONNECTION}/${order.orderKey}`;
    let first: SubmitOrderResult | undefined;

    before(async () => {
      h = await startHarness(system);
    });
    after(() => h?.stop());

    const submitOnce = async () => {
      first ??= await h.inActivity(() => h.fulfilment().submitOrder({ workflowId, order }));
      return first;
    };

    it('submitOrder of a canonical order pushes it; the order is open at the warehouse', async () => {
      const sent = h.proxy.requests.length;
      const result = await submitOnce();
      assert.equal(result.pushed, true, 'the first submission is pushed');
      assert.equal(result.phase, 'open');
      assert.ok(result.externalOrderId, "the warehouse's id of the order");
      assert.ok(
        h.proxy.requests
          .slice(sent)
          .some((r) => r.method !== 'GET' && r.status !== undefined && r.status < 300),
        'the order reached the warehouse through the proxy',
      );
    });

    it('submitOrder of the same content again sends nothing (pushed false)', async () => {
      const pushed = await submitOnce();
      const sent = h.proxy.requests.length;
      const again = await h.inActivity(() => h.fulfilment().submitOrder({ workflowId, order }));
      assert.equal(again.pushed, false, 'the repeat is not pushed');
      assert.equal(again.phase, pushed.phase);
      assert.equal(again.externalOrderId, pushed.externalOrderId);
      const writes = h.proxy.requests.slice(sent).filter((r) => r.method !== 'GET');
      assert.deepEqual(
        writes.map((r) => `${r.method} ${r.path}`),
        [],
        'the repeat sent no write to the warehouse',
      );
    });

    it('cancelOrder of the open order ends in phase cancelled, and a second cancel is harmless', async () => {
      await submitOnce();
      const cancelled = await h.inActivity(() => h.fulfilment().cancelOrder({ workflowId, order }));
      assert.equal(cancelled.phase, 'cancelled');
      const again = await h.inActivity(() => h.fulfilment().cancelOrder({ workflowId, order }));
      assert.equal(again.phase, 'cancelled');
    });
  });
}

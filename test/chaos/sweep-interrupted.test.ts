import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { orderWorkflowId } from '../../domain/ids';
import { DELIVERY_SECONDS, startPipeline, type Pipeline } from '../helpers/pipeline';
import { temporalTestEnv } from '../helpers/temporal';

// The lost tracking update the chaos suite found (chaos/README.md), made deterministic: a tracking
// sweep whose Track call went through (the carrier's answer stored, the shipment's tracking status
// moved to delivered) and which then died before it signalled the order, as when its worker is
// killed. The next sweep must still tell the order (fixed in 79561f2: the sweep lists shipments by
// what their workflows were told, not by the carrier's last status).

describe('a tracking sweep interrupted between storing and signalling', () => {
  let env: TestWorkflowEnvironment;
  let p: Pipeline;

  before(async () => {
    env = await temporalTestEnv();
    p = await startPipeline(env, 'sweep-interrupted');
  });
  after(async () => {
    await p?.close();
    await env?.teardown();
  });

  it('the next sweep still delivers the update to the order', async () => {
    const [order] = p.plex.seedOrders(1, { invalidShare: 0, seed: 17 });
    await p.poll();
    const state = await p.waitFor(order!.orderKey, (s) => s.status === 'in_transit');

    // What the dying sweep did: its Track call, whose answer the carrier port stores.
    p.fedex.advanceClock(DELIVERY_SECONDS);
    const tracked = await p.connectors.carrier('fedex-demo').track([state.trackingNumber!]);
    assert.ok(tracked.updates.some((u) => u.status === 'delivered'));

    // The sweep's retry, or the next scheduled one. Whether it told the order is in the order's
    // history once the sweep has returned (no deadline on the clock); then its result follows.
    const handle = env.client.workflow.getHandle(orderWorkflowId('plex-demo', order!.orderKey));
    const trackingSignals = async () =>
      (await handle.fetchHistory()).events?.filter(
        (e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'trackingUpdate',
      ).length ?? 0;
    const before = await trackingSignals();
    await p.sweep();
    assert.ok((await trackingSignals()) > before, 'the sweep signalled the order');
    const done = await handle.result();
    assert.equal(done?.status, 'delivered', 'the order heard of its delivery');
    assert.ok(p.plex.getShipper(order!.orderKey)?.deliveryDateTime, 'Plex has the delivery');
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/common';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { orderWorkflowId } from '../../domain/ids';
import { cancelSignal, retrySignal, trackingUpdateSignal } from '../../workflows/messages';
import { orderShipment } from '../../workflows';
import type { OrderShipmentInput } from '../../workflows/order-shipment';
import { DELIVERY_SECONDS, startPipeline, type Pipeline } from '../helpers/pipeline';
import { seedSequence } from '../helpers/seed';
import { temporalTestEnv } from '../helpers/temporal';

// The order lifecycle on the real dev server, against the Plex and FedEx simulators over HTTP and
// real PostgreSQL. Each test seeds its own orders; the FedEx clock only moves when a test sweeps.

describe('order lifecycle (Plex -> FedEx) on the real Temporal dev server', () => {
  let env: TestWorkflowEnvironment;
  let p: Pipeline;

  before(async () => {
    env = await temporalTestEnv();
    p = await startPipeline(env, 'lifecycle');
  });
  after(async () => {
    await p?.close();
    await env?.teardown();
  });

  const seeds = seedSequence('order-lifecycle');
  const seed = (n: number, invalidShare = 0) => p.plex.seedOrders(n, { invalidShare, seed: seeds.next() });
  /** Start an order's workflow directly, as the poll would, with extra input. */
  const startOrder = (o: { orderKey: string; orderNumber: string }, extra: Partial<OrderShipmentInput>) =>
    env.client.workflow.start(orderShipment, {
      taskQueue: p.taskQueue,
      workflowId: orderWorkflowId('plex-demo', o.orderKey),
      args: [
        {
          erpConnection: 'plex-demo',
          orderKey: o.orderKey,
          orderNumber: o.orderNumber,
          carrierConnection: 'fedex-demo',
          carrier: 'fedex',
          routing: p.connectors.route('plex-demo').routing,
          ...extra,
        },
      ],
    });
  const labelsFor = (orderNumber: string) =>
    Object.entries(p.fedex.counters().shipmentsByReference)
      .filter(([ref]) => ref.includes(orderNumber))
      .reduce((n, [, count]) => n + count, 0);

  it('happy path: detected, shipped, tracking written back to Plex, delivered', async () => {
    const orders = seed(3);
    const polled = await p.poll();
    assert.ok(polled.started >= 3, `poll started the seeded orders (${JSON.stringify(polled)})`);
    for (const o of orders) await p.waitFor(o.orderKey, (s) => s.status === 'in_transit');
    for (const o of orders) {
      const shipper = p.plex.getShipper(o.orderKey);
      const state = await p.status(o.orderKey);
      assert.ok(state.trackingNumber, 'the workflow knows its tracking number');
      assert.equal(
        shipper?.trackingNumber,
        state.trackingNumber,
        'the tracking number is in the Plex customer shipper',
      );
    }
    await p.sweep(DELIVERY_SECONDS);
    for (const o of orders) {
      const result = await env.client.workflow.getHandle(orderWorkflowId('plex-demo', o.orderKey)).result();
      assert.equal(result.status, 'delivered');
      assert.equal(labelsFor(o.orderNumber), 1, 'exactly one FedEx shipment per order');
      const row = await p.repos.orders.get('plex-demo', o.orderKey);
      assert.equal(row?.status, 'delivered');
    }
    const audit = await p.repos.audit.listForOrder('plex-demo', orders[0]!.orderKey);
    assert.ok(
      audit.some((a) => a.action === 'order.delivered'),
      'the audit log records the delivery',
    );
    assert.ok(
      audit.some((a) => a.action.startsWith('plex.')),
      'the audit log records the Plex calls',
    );
  });

  it('parks an invalid address in needs_attention, and completes after the data is fixed and retried', async () => {
    const [bad] = seed(1, 1);
    await p.poll();
    const parked = await p.waitFor(bad!.orderKey, (s) => s.status === 'needs_attention');
    assert.equal(parked.attention?.kind, 'validation');
    assert.match(parked.attention!.message, /recipient\.|packages\[/);
    assert.equal(labelsFor(bad!.orderNumber), 0, 'no carrier call for an invalid order');
    const row = await p.repos.orders.get('plex-demo', bad!.orderKey);
    assert.equal(row?.status, 'needs_attention');
    assert.match(row!.reason ?? '', /^validation: /);

    p.plex.fixOrder(bad!.orderKey);
    await env.client.workflow
      .getHandle(orderWorkflowId('plex-demo', bad!.orderKey))
      .signal(retrySignal, { by: 'test' });
    await p.waitFor(bad!.orderKey, (s) => s.status === 'in_transit');
    await p.sweep(DELIVERY_SECONDS);
    const done = await env.client.workflow.getHandle(orderWorkflowId('plex-demo', bad!.orderKey)).result();
    assert.equal(done.status, 'delivered');
  });

  it('parks an order abroad whose part has no HS code, naming the part and the Plex field, and ships it once the code is set', async () => {
    // Half invalid: the four defect kinds in turn, the HS code on an order that ships abroad.
    const bad = seed(8, 0.5).find((o) => o.invalid === 'hs_code');
    assert.ok(bad, 'the seed has an order whose part lacks an HS code');
    await p.poll();
    const parked = await p.waitFor(bad.orderKey, (s) => s.status === 'needs_attention');
    assert.equal(parked.attention?.kind, 'validation');
    assert.match(parked.attention!.message, /part \S+ has no HS code for customs: .*harmonizedTariffCode/);
    assert.equal(labelsFor(bad.orderNumber), 0, 'no carrier call without customs');

    p.plex.fixOrder(bad.orderKey); // the code entered in the part's shipping details, as in Plex
    await env.client.workflow
      .getHandle(orderWorkflowId('plex-demo', bad.orderKey))
      .signal(retrySignal, { by: 'test' });
    await p.waitFor(bad.orderKey, (s) => s.status === 'in_transit');
    assert.equal(labelsFor(bad.orderNumber), 1);
  });

  it('reports a Plex permission failure plainly, and resumes once access is granted', async () => {
    p.plex.setFaults({ permissions: { customers: 'forbidden' } });
    try {
      const [o] = seed(1);
      await p.poll();
      const parked = await p.waitFor(o!.orderKey, (s) => s.status === 'needs_attention');
      assert.equal(parked.attention?.kind, 'permission');
      assert.match(parked.attention!.message, /grant|subscribe|access/i, 'the message says what to grant');
    } finally {
      p.plex.setFaults({ permissions: { customers: null } });
    }
    const [o] = p.plex.orders().slice(-1);
    await env.client.workflow.getHandle(orderWorkflowId('plex-demo', o!.orderKey)).signal(retrySignal);
    await p.waitFor(o!.orderKey, (s) => s.status === 'in_transit');
  });

  it('rides out a FedEx 5xx storm with retries and buys one label', async () => {
    p.fedex.setFaults({ errorRate: 1 });
    const [o] = seed(1);
    await p.poll();
    await p.waitFor(o!.orderKey, (s) => s.status === 'creating_shipment' && s.attempts >= 1);
    await new Promise((r) => setTimeout(r, 3000)); // a few failed attempts
    p.fedex.setFaults({ errorRate: 0 });
    await p.waitFor(o!.orderKey, (s) => s.status === 'in_transit', 60_000);
    assert.equal(labelsFor(o!.orderNumber), 1);
  });

  it('a FedEx outage longer than the retry budget: the order waits on FedEx and ships by itself once FedEx is back', async () => {
    const [o] = seed(1);
    p.fedex.setFaults({ errorRate: 1 });
    try {
      // Two attempts per call and short pauses, so the outage outlasts the budget in seconds.
      await startOrder(o!, { callAttempts: 2, patience: { firstPauseMs: 1000, maxPauseMs: 2000 } });
      const waiting = await p.waitFor(o!.orderKey, (s) => s.status === 'waiting', 60_000);
      assert.equal(waiting.step, 'create_shipment');
      assert.equal(waiting.attention?.kind, 'carrier_unavailable');
      assert.match(
        waiting.attention?.message ?? '',
        /^waiting on fedex-demo, trying again by itself in \d+ s: /,
      );
      const row = await p.repos.orders.get('plex-demo', o!.orderKey);
      assert.equal(row?.status, 'waiting', 'the orders table shows it waiting too');
      // It keeps trying on its own timer while FedEx is down.
      const attempts = waiting.attempts;
      await p.waitFor(o!.orderKey, (s) => s.status === 'waiting' && s.attempts > attempts + 1, 60_000);
    } finally {
      p.fedex.setFaults({ errorRate: 0 });
    }
    // Nobody signals anything: the next timer finds FedEx back.
    await p.waitFor(o!.orderKey, (s) => s.status === 'in_transit', 60_000);
    assert.equal(labelsFor(o!.orderNumber), 1, 'one label, however many tries');
  });

  it('a transient failure that outlasts the patience parks the order for a person', async () => {
    const [o] = seed(1);
    p.fedex.setFaults({ errorRate: 1 });
    try {
      await startOrder(o!, {
        callAttempts: 1,
        patience: { firstPauseMs: 500, maxPauseMs: 500, giveUpAfterMs: 1000 },
      });
      const parked = await p.waitFor(o!.orderKey, (s) => s.status === 'needs_attention', 60_000);
      assert.equal(parked.attention?.kind, 'carrier_unavailable');
      assert.doesNotMatch(parked.attention?.message ?? '', /^waiting on/);
    } finally {
      p.fedex.setFaults({ errorRate: 0 });
    }
    await env.client.workflow.getHandle(orderWorkflowId('plex-demo', o!.orderKey)).signal(retrySignal);
    await p.waitFor(o!.orderKey, (s) => s.status === 'in_transit', 60_000);
  });

  it('cancel after the label voids it at FedEx and finishes the order as cancelled', async () => {
    const [o] = seed(1);
    await p.poll();
    await p.waitFor(o!.orderKey, (s) => s.status === 'in_transit');
    const before = p.fedex.counters().cancelledShipments;
    const handle = env.client.workflow.getHandle(orderWorkflowId('plex-demo', o!.orderKey));
    await handle.signal(cancelSignal, { reason: 'customer cancelled', by: 'test' });
    const result = await handle.result();
    assert.equal(result.status, 'cancelled');
    assert.equal(p.fedex.counters().cancelledShipments, before + 1, 'the label was voided at FedEx');
    assert.equal((await p.repos.orders.get('plex-demo', o!.orderKey))?.status, 'cancelled');
  });

  it('starts one workflow per order however often it is detected or started', async () => {
    const [o] = seed(1);
    await p.poll();
    await p.poll();
    const id = orderWorkflowId('plex-demo', o!.orderKey);
    await p.waitFor(o!.orderKey, (s) => s.status === 'in_transit');
    const first = await env.client.workflow.getHandle(id).describe();
    // A direct duplicate start reuses the running workflow.
    const again = await env.client.workflow.start(orderShipment, {
      taskQueue: p.taskQueue,
      workflowId: id,
      args: [
        {
          erpConnection: 'plex-demo',
          orderKey: o!.orderKey,
          orderNumber: o!.orderNumber,
          carrierConnection: 'fedex-demo',
          carrier: 'fedex',
          routing: p.connectors.route('plex-demo').routing,
        },
      ],
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
    });
    assert.equal(again.firstExecutionRunId, first.runId);
    await p.sweep(DELIVERY_SECONDS);
    await env.client.workflow.getHandle(id).result();
    // A finished order is never started again.
    await assert.rejects(
      env.client.workflow.start(orderShipment, {
        taskQueue: p.taskQueue,
        workflowId: id,
        args: [
          {
            erpConnection: 'plex-demo',
            orderKey: o!.orderKey,
            orderNumber: o!.orderNumber,
            carrierConnection: 'fedex-demo',
            carrier: 'fedex',
            routing: p.connectors.route('plex-demo').routing,
          },
        ],
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      }),
      WorkflowExecutionAlreadyStartedError,
    );
    assert.equal(labelsFor(o!.orderNumber), 1);
  });

  it('continues as new while tracking a long-running shipment, keeping its state', async () => {
    const [o] = seed(1);
    const id = orderWorkflowId('plex-demo', o!.orderKey);
    const first = await env.client.workflow.start(orderShipment, {
      taskQueue: p.taskQueue,
      workflowId: id,
      args: [
        {
          erpConnection: 'plex-demo',
          orderKey: o!.orderKey,
          orderNumber: o!.orderNumber,
          carrierConnection: 'fedex-demo',
          carrier: 'fedex',
          routing: p.connectors.route('plex-demo').routing,
          historyLimit: 40,
        },
      ],
    });
    const state = await p.waitFor(o!.orderKey, (s) => s.status === 'in_transit');
    const base = Date.parse('2030-01-01T00:00:00Z');
    for (let i = 0; i < 12; i++) {
      const handle = env.client.workflow.getHandle(id);
      await handle.signal(trackingUpdateSignal, {
        trackingNumber: state.trackingNumber!,
        status: i % 2 ? 'in_transit' : 'picked_up',
        rawCode: i % 2 ? 'IT' : 'PU',
        description: `scan ${i}`,
        eventTime: new Date(base + i * 60_000).toISOString(),
      });
      await p.waitFor(o!.orderKey, (s) => s.trackingEventTime === new Date(base + i * 60_000).toISOString());
    }
    const latest = await env.client.workflow.getHandle(id).describe();
    assert.notEqual(latest.runId, first.firstExecutionRunId, 'a new run carries on');
    const carried = await p.status(o!.orderKey);
    assert.equal(carried.trackingNumber, state.trackingNumber, 'the new run knows the shipment');
    await env.client.workflow.getHandle(id).signal(trackingUpdateSignal, {
      trackingNumber: state.trackingNumber!,
      status: 'delivered',
      rawCode: 'DL',
      description: 'Delivered',
      eventTime: new Date(base + 3600_000).toISOString(),
    });
    const result = await env.client.workflow.getHandle(id).result();
    assert.equal(result.status, 'delivered');
    assert.equal(labelsFor(o!.orderNumber), 1);
  });

  it('survives a worker restart in the middle of the flow', async () => {
    const [o] = seed(1);
    await p.poll();
    await p.waitFor(o!.orderKey, (s) => s.status === 'in_transit');
    await p.stopWorker();
    await p.restartWorker();
    await p.sweep(DELIVERY_SECONDS);
    const result = await env.client.workflow.getHandle(orderWorkflowId('plex-demo', o!.orderKey)).result();
    assert.equal(result.status, 'delivered');
    assert.equal(labelsFor(o!.orderNumber), 1);
  });
});

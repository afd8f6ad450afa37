// A createorder whose answer was lost reached ShipStation; Temporal's retry sends it again, and by
// then the warehouse may have shipped the order (or someone cancelled it there), so ShipStation
// refuses the upsert with a 400. The submit must not park an order that exists there under our
// orderKey: it reads the order back and reports its phase, as a webhook would have. The real
// ShipStation port and client against the simulator over HTTP (its dropAnswers knob loses the
// answer after applying the request), and a real database.

import assert from 'node:assert/strict';
import { after, before, beforeEach, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import type { FulfilmentPort } from '../../connectors/ports';
import {
  createShipStationClientFactory,
  shipStationFulfilmentPort,
  type ShipStationConnectionSettings,
} from '../../connectors/shipstation/port';
import type { ShipStationClient } from '../../connectors/shipstation/client';
import { ShipStationValidationError } from '../../connectors/shipstation/errors';
import { shipStationOrderKey, toShipStationOrder } from '../../connectors/shipstation/mapping';
import type { ErpOrder } from '../../domain/order';
import { createRepos, type Repos } from '../../lib/db/repos';
import { createLogger } from '../../lib/logger';
import { unlimited } from '../../lib/ratelimit';
import {
  DEMO_V1_KEY,
  startShipStationSimulator,
  type ShipStationSimulator,
} from '../../simulators/shipstation';
import { forEachDatabase, uniqueName } from '../helpers/db';
import { SAMPLE_ORDER } from '../helpers/orders';

const log = createLogger({ level: 'silent' });
const CREATE = 'POST /orders/createorder';

function erpOrder(): ErpOrder {
  const key = uniqueName('so');
  // Unique, so ShipStation's "starts with" orderNumber search finds no other test's order.
  return { ...SAMPLE_ORDER, orderKey: key, orderNumber: key.toUpperCase() };
}

forEachDatabase('ShipStation submit retried after a lost createorder answer', (getDb) => {
  let sim: ShipStationSimulator;
  let repos: Repos;
  let client: ShipStationClient;
  let port: FulfilmentPort;
  const connection = 'ss-lost-answer';

  before(async () => {
    sim = await startShipStationSimulator({ seed: 11, clockSpeed: 1 });
    repos = createRepos(getDb().db);
    const settings = (): ShipStationConnectionSettings => ({
      v1BaseUrl: sim.url,
      v2BaseUrl: sim.url,
      apiKey: DEMO_V1_KEY.apiKey,
      apiSecret: DEMO_V1_KEY.apiSecret,
    });
    const clients = createShipStationClientFactory({
      db: getDb().db,
      limits: { v1PerMinute: 40, v2PerMinute: 200 },
      settings,
      log,
      limiter: unlimited,
      timeoutMs: 5_000,
    });
    client = clients(connection);
    port = shipStationFulfilmentPort(
      { client: clients, settings, fulfilment: repos.fulfilment, audit: repos.audit, log },
      connection,
    );
  });
  after(() => sim.stop());
  beforeEach(() => {
    sim.reset();
    sim.setClockSpeed(1);
  });

  const requests = (endpoint: string) => sim.counters().requestsByEndpoint[endpoint] ?? 0;
  const ssOrderOf = (order: ErpOrder) =>
    sim.orders().find((o) => o.orderKey === shipStationOrderKey(order.connection, order.orderKey));

  /** The first submit: ShipStation applies it, the answer never arrives (a retryable failure). */
  async function submitWithLostAnswer(order: ErpOrder, workflowId: string): Promise<void> {
    sim.dropAnswers(CREATE);
    await assert.rejects(port.submitOrder({ workflowId, order }), (err: unknown) => {
      assert.ok(err instanceof ApplicationFailure, String(err));
      assert.equal(err.type, 'ShipStationUnavailableError');
      assert.equal(err.nonRetryable, false, 'Temporal retries it');
      return true;
    });
    assert.equal(sim.counters().answersDropped, 1);
    assert.ok(ssOrderOf(order), 'the lost request created the order');
  }

  it('shipped by the warehouse before the retry: the retry reports it shipped, with its orderId, and parks nothing', async () => {
    const order = erpOrder();
    const workflowId = `wf-${order.orderKey}`;
    // The warehouse ships a new order at once: shipped before the lost answer would have arrived.
    sim.setWarehouse({ shipAfterSeconds: 0 });
    await submitWithLostAnswer(order, workflowId);
    const ss = ssOrderOf(order)!;
    assert.equal(ss.orderStatus, 'shipped');

    const retried = await port.submitOrder({ workflowId, order });
    assert.deepEqual(retried, { phase: 'shipped', pushed: false, externalOrderId: String(ss.orderId) });
    const c = sim.counters();
    assert.equal(c.lockedOrderUpdatesRefused, 1, 'ShipStation refused the retried upsert once');
    assert.equal(requests('GET /orders'), 1, 'one read back by orderKey');
    assert.equal(c.ordersCreated, 1);
    assert.equal(c.upsertsByOrderKey[ss.orderKey], 1, 'nothing else was written');
    const row = await repos.fulfilment.getOrder(connection, ss.orderKey);
    assert.equal(row?.phase, 'shipped');
    assert.equal(row?.external_order_id, String(ss.orderId));

    // A later submit (an operator's retry, an ERP edit) knows the orderId now: it reads the order
    // and sends nothing, so ShipStation answers no further 400.
    const again = await port.submitOrder({ workflowId, order });
    assert.equal(again.phase, 'shipped');
    assert.equal(requests(CREATE), 2);
    assert.equal(sim.counters().lockedOrderUpdatesRefused, 1);
  });

  it('after the order waited (lookFirst), a shipped order is read, not refused: no 4xx at all', async () => {
    const order = erpOrder();
    const workflowId = `wf-${order.orderKey}`;
    sim.setWarehouse({ shipAfterSeconds: 0 });
    await submitWithLostAnswer(order, workflowId);
    const ss = ssOrderOf(order)!;
    assert.equal(ss.orderStatus, 'shipped');

    const retried = await port.submitOrder({ workflowId, order, lookFirst: true });
    assert.deepEqual(retried, { phase: 'shipped', pushed: false, externalOrderId: String(ss.orderId) });
    assert.equal(sim.counters().lockedOrderUpdatesRefused, 0, 'ShipStation refused nothing');
    assert.equal(requests(CREATE), 1, 'only the lost push was sent');
    assert.equal(requests('GET /orders'), 1, 'one read by orderKey');
    const row = await repos.fulfilment.getOrder(connection, ss.orderKey);
    assert.equal(row?.phase, 'shipped');
    assert.equal(row?.external_order_id, String(ss.orderId));
  });

  it('after the order waited (lookFirst), an open order found there is updated in place, once', async () => {
    const order = erpOrder();
    const workflowId = `wf-${order.orderKey}`;
    sim.setWarehouse({ shipAfterSeconds: 3600 });
    await submitWithLostAnswer(order, workflowId);
    const ss = ssOrderOf(order)!;
    const retried = await port.submitOrder({ workflowId, order, lookFirst: true });
    assert.equal(retried.phase, 'open');
    assert.equal(retried.externalOrderId, String(ss.orderId));
    assert.equal(sim.counters().ordersCreated, 1, 'no second order');
  });

  it('cancelled at ShipStation before the retry: the retry reports it cancelled, and the cancel sends nothing', async () => {
    const order = erpOrder();
    const workflowId = `wf-${order.orderKey}`;
    sim.setWarehouse({ paused: true });
    await submitWithLostAnswer(order, workflowId);
    // Someone cancels it in ShipStation (an update while it is still open), outside the connector.
    const res = await fetch(`${sim.url}/orders/createorder`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${DEMO_V1_KEY.apiKey}:${DEMO_V1_KEY.apiSecret}`).toString('base64')}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ ...toShipStationOrder(order), orderStatus: 'cancelled' }),
    });
    assert.equal(res.status, 200);
    const ss = ssOrderOf(order)!;
    assert.equal(ss.orderStatus, 'cancelled');

    const retried = await port.submitOrder({ workflowId, order });
    assert.deepEqual(retried, { phase: 'cancelled', pushed: false, externalOrderId: String(ss.orderId) });
    // The workflow then cancels at the warehouse: the order is final there, nothing is sent.
    const creates = requests(CREATE);
    const cancelled = await port.cancelOrder({ workflowId, order });
    assert.equal(cancelled.phase, 'cancelled');
    assert.equal(requests(CREATE), creates);
    assert.equal(sim.counters().lockedOrderUpdatesRefused, 1);
  });

  it('a refusal of an order ShipStation does not hold stays the error it was', async () => {
    const order = erpOrder();
    // Over ShipStation's 50 characters: refused with a 400 (the port's own check would stop it first).
    const body = { ...toShipStationOrder(order), orderNumber: `${order.orderNumber}-${'X'.repeat(50)}` };
    await assert.rejects(client.createOrUpdateOrder(body), (err: unknown) => {
      assert.ok(err instanceof ShipStationValidationError, String(err));
      assert.equal(err.status, 400);
      assert.match(err.message, /orderNumber/i);
      return true;
    });
    assert.equal(requests('GET /orders'), 1, 'it looked, once');
    assert.equal(ssOrderOf(order), undefined);
  });
});

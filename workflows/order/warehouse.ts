// The warehouse path: a warehouse system picks, packs and buys the label; the
// connector moves the data both ways.
//   1. load the order; when it leaves the warehouse's country, build its customs (missing values
//      park it, as the label path's validation does); submit it to the warehouse (upserted; a
//      content version goes out once)
//   2. wait for shipments (webhooks and the shipment poll signal them); an ERP edit seen meanwhile
//      is pushed again while nothing has shipped
//   3. per shipment, once per shipmentId: tracking onto the ERP order, quantities out of ERP stock
//   4. shipped once the shipments cover every line, or the warehouse calls it shipped
import { condition } from '@temporalio/workflow';
import type { WarehouseRouting } from '../../activities/orders/activities';
import { buildCustoms, crossesBorder, type CustomsDetail } from '../../domain/customs';
import { coversOrder, type FulfilmentShipment, type WarehouseOrderPhase } from '../../domain/fulfilment';
import type { ErpOrder } from '../../domain/order';
import type { ValidationProblem } from '../../domain/validate';
import type { OrderState } from '../messages';
import type { OrderRun } from './run';
import { invalidOrder } from './attention';

export async function fulfilByWarehouse(run: OrderRun): Promise<OrderState> {
  const { input, external, inbox, state } = run;
  const stallDays = input.stallDays ?? 30;
  const applied = new Set<string>();
  const shipped: FulfilmentShipment[] = [];
  let phase: WarehouseOrderPhase | undefined;
  // Parked for missing customs values: the retry reads the order again, as they are fixed in the ERP.
  // Only such an order ever sets it, so every other order's history is as it was.
  let customsParked = false;

  const submit = async (reload: boolean) => {
    const done = await run.step('submit_order', 'creating_shipment', async (again) => {
      if (reload || customsParked || !run.order) {
        run.order = await external.erpLoadOrder({
          erpConnection: input.erpConnection,
          orderKey: input.orderKey,
          // A reload follows an edit (an address changed in place), and a step run again may follow
          // a fix in the ERP: nothing from an earlier read.
          ...(reload || again ? { fresh: true } : {}),
        });
      }
      const customs = customsFor(run.order, input.warehouse);
      if (Array.isArray(customs)) {
        customsParked = true;
        // As the label path's validation: the step parks the order with these problems.
        throw invalidOrder(customs);
      }
      customsParked = false;
      return await external.fulfilmentSubmitOrder({
        carrierConnection: input.carrierConnection,
        workflowId: run.workflowId,
        order: run.order,
        // After the retries ran out, an unanswered push may have landed and shipped meanwhile.
        ...(again ? { lookFirst: true } : {}),
        ...(customs ? { customs } : {}),
      });
    });
    if (done) phase = done.value.phase;
    return done !== undefined;
  };

  if (!(await submit(false))) return await cancelAtWarehouse(run);
  for (;;) {
    if (phase === 'attention' && inbox.shipments.length === 0) {
      await run.park(
        'submit_order',
        {
          step: 'submit_order',
          kind: 'warehouse_rejected',
          message:
            'the warehouse system holds the order in a state that needs a person (e.g. rejected fulfilment)',
        },
        () => inbox.shipments.length > 0,
      );
      if (inbox.cancelRequested) return await cancelAtWarehouse(run);
      if (inbox.retryRequested && !(await submit(true))) return await cancelAtWarehouse(run);
      continue;
    }
    if (phase === 'cancelled' && inbox.shipments.length === 0 && shipped.length === 0) {
      inbox.cancelRequested = { reason: 'cancelled in the warehouse system' };
      return await cancelAtWarehouse(run);
    }
    if (phase === 'shipped' && shipped.length > 0 && inbox.shipments.length === 0) break;
    if (state.status !== 'awaiting_fulfilment') await run.record('awaiting_fulfilment', 'await_shipment');

    const got = await condition(
      () =>
        inbox.shipments.length > 0 ||
        inbox.changedVersion !== undefined ||
        inbox.cancelRequested !== undefined,
      stallDays * 24 * 3600 * 1000,
    );
    if (inbox.cancelRequested) return await cancelAtWarehouse(run);
    if (!got) {
      await run.park(
        'await_shipment',
        {
          step: 'await_shipment',
          kind: 'stalled',
          message: `the warehouse has not shipped the order in ${stallDays} days`,
        },
        () => inbox.shipments.length > 0 || inbox.changedVersion !== undefined,
      );
      if (inbox.cancelRequested) return await cancelAtWarehouse(run);
      if (inbox.retryRequested && !(await submit(true))) return await cancelAtWarehouse(run);
      continue;
    }

    for (const notice of inbox.shipments.splice(0)) {
      if (applied.has(notice.shipmentId)) continue;
      // Two write-backs in one step: a try after the first went through (the second ran out of
      // retries, the order waited or was retried) does not write the tracking again.
      let trackingWritten = false;
      const wrote = await run.step('write_shipment', 'writing_tracking', async () => {
        if (!trackingWritten) await writeTracking(notice);
        trackingWritten = true;
        return await external.erpRecordShipped({
          erpConnection: input.erpConnection,
          order: run.handle,
          shipment: notice,
        });
      });
      if (!wrote) return await cancelAtWarehouse(run);
      applied.add(notice.shipmentId);
      shipped.push(notice);
      state.trackingNumber = notice.trackingNumber;
    }
    if (shipped.length > 0 && coversOrder(run.order!.lines, shipped)) break;

    // An edit seen while nothing was shipped yet: push it (the warehouse may still take it).
    if (inbox.changedVersion !== undefined && inbox.shipments.length === 0) {
      inbox.changedVersion = undefined;
      if (!(await submit(true))) return await cancelAtWarehouse(run);
    }
  }
  await run.record('shipped', 'done');
  return await run.finish();

  /** A warehouse shipment's tracking number, carrier, service, date and cost onto the ERP order. */
  async function writeTracking(notice: FulfilmentShipment): Promise<void> {
    await external.erpWriteTracking({
      erpConnection: input.erpConnection,
      order: run.handle,
      tracking: {
        carrier: notice.carrier,
        trackingNumber: notice.trackingNumber,
        pieceTrackingNumbers: [],
        serviceType: notice.service ?? '',
        shipDate: notice.shipDate,
        cost: notice.cost,
      },
    });
  }
}

/**
 * The customs of an order shipped abroad from the warehouse, or what is missing for them; undefined
 * for a domestic order (and for a run started without the mapping's warehouse routing).
 */
function customsFor(
  order: ErpOrder,
  routing: WarehouseRouting | undefined,
): CustomsDetail | ValidationProblem[] | undefined {
  if (!routing) return undefined;
  // The warehouse system holds its own address: only its country matters here.
  const warehouse = { lines: [], city: '', countryCode: routing.originCountry };
  if (!crossesBorder(warehouse, order.shipTo)) return undefined;
  const { customs, problems } = buildCustoms(order, routing.customs, warehouse, order.shipTo);
  // No line to declare (every quantity 0) is the push's own validation's to report.
  return problems.length > 0 ? problems : customs;
}

/** Cancel a warehouse order: withdraw it there while open, record it in the ERP, and finish. */
async function cancelAtWarehouse(run: OrderRun): Promise<OrderState> {
  let why = run.cancelReason;
  if (run.order) {
    const order = run.order;
    const withdrawn = await run.step(
      'done',
      'cancelled',
      () =>
        run.external.fulfilmentCancelOrder({
          carrierConnection: run.input.carrierConnection,
          workflowId: run.workflowId,
          order,
        }),
      { cancellable: false },
    );
    if (withdrawn?.value.phase === 'shipped') {
      why += ' (the warehouse had already shipped it: void the label there if the goods must stay)';
    }
  }
  return await run.finishCancelled(why);
}

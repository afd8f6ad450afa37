// The label path: the connector buys the label at the carrier and follows the parcel.
//   1-2. load the order, map + validate it into a ShipmentRequest (before any carrier call)
//   3.   create the shipment and label (idempotent on the workflow-derived key)
//   4.   write tracking number, service and cost back into the ERP
//   5.   track until a final status (signals from the tracking sweep and webhooks)
//   6.   final write-back; continue-as-new keeps a long track's history short
import { ApplicationFailure, condition, continueAsNew, workflowInfo } from '@temporalio/workflow';
import type { ShipmentResult } from '../../domain/model';
import { buildShipmentRequest } from '../../domain/shipment-request';
import { isFinalStatus } from '../../domain/status';
import type { OrderState } from '../messages';
import type { orderShipment } from '../order-shipment';
import type { OrderRun } from './run';
import { invalidOrder } from './attention';

const HISTORY_LIMIT = 2000;

export async function shipWithLabel(run: OrderRun): Promise<OrderState> {
  const { input, external, inbox, state } = run;

  if (!run.shipment) {
    // 1-2. Load the order and map it into a carrier-neutral ShipmentRequest, validated before any carrier call.
    const prepared = await run.step('load', 'detected', async (again) => {
      run.order = await external.erpLoadOrder({
        erpConnection: input.erpConnection,
        orderKey: input.orderKey,
        // Again after the order waited or was parked: someone may have fixed the data in the ERP in
        // ways its change dates do not show (an address edited in place), so nothing from an earlier read.
        ...(again ? { fresh: true } : {}),
      });
      if (!input.routing) {
        throw ApplicationFailure.nonRetryable(
          `no shipment mapping for carrier connection ${input.carrierConnection}`,
          'ConfigurationError',
          { kind: 'business' },
        );
      }
      const { request, problems } = buildShipmentRequest(run.order, input.routing, {
        idempotencyKey: run.idempotencyKey,
        // Workflow time is deterministic; a parked order retried days later ships that day.
        today: new Date().toISOString().slice(0, 10),
      });
      if (problems.length > 0) {
        throw invalidOrder(problems);
      }
      return request;
    });
    if (!prepared) return await cancel(run, undefined);

    // 3. Create the shipment and label at the carrier (idempotent on the workflow-derived key).
    const created = await run.step('create_shipment', 'creating_shipment', () =>
      external.carrierCreateShipment({
        carrierConnection: input.carrierConnection,
        workflowId: run.workflowId,
        erpConnection: input.erpConnection,
        orderKey: input.orderKey,
        request: prepared.value,
      }),
    );
    if (!created) return await cancel(run, undefined);
    const shipment = created.value;
    run.shipment = shipment;
    state.trackingNumber = shipment.masterTrackingNumber;

    // 4. Write the tracking number, service and cost back into the ERP.
    const written = await run.step('write_tracking', 'writing_tracking', () =>
      external.erpWriteTracking({
        erpConnection: input.erpConnection,
        order: run.handle,
        tracking: {
          carrier: input.carrier,
          trackingNumber: shipment.masterTrackingNumber,
          pieceTrackingNumbers: shipment.pieceTrackingNumbers,
          serviceType: shipment.serviceType,
          shipDate: prepared.value.shipDate,
          cost: shipment.cost,
          labelRef: shipment.label && 'ref' in shipment.label ? shipment.label.ref : undefined,
        },
      }),
    );
    if (!written) return await cancel(run, shipment);
    await run.record('in_transit', 'track');
  }

  // 5. Track until a final status: updates arrive as signals (tracking sweep, webhooks).
  const stallDays = input.stallDays ?? 30;
  for (;;) {
    const got = await condition(
      () => inbox.updates.length > 0 || inbox.cancelRequested !== undefined,
      stallDays * 24 * 3600 * 1000,
    );
    if (inbox.cancelRequested) return await cancel(run, run.shipment);
    if (!got) {
      await run.park(
        'track',
        { step: 'track', kind: 'stalled', message: `no tracking update for ${stallDays} days` },
        () => inbox.updates.length > 0,
      );
      if (inbox.cancelRequested) return await cancel(run, run.shipment);
      await run.record('in_transit', 'track');
      continue;
    }
    // Apply in event-time order; older events than the last applied one are history, not news.
    inbox.updates.sort((a, b) => a.eventTime.localeCompare(b.eventTime));
    for (const update of inbox.updates.splice(0)) {
      if (state.trackingEventTime && update.eventTime <= state.trackingEventTime) continue;
      if (update.status === state.trackingStatus) {
        state.trackingEventTime = update.eventTime;
        continue;
      }
      const wrote = await run.step('track', 'in_transit', () =>
        external.erpWriteStatus({
          erpConnection: input.erpConnection,
          order: run.handle,
          status: {
            status: update.status,
            at: update.eventTime,
            description: update.description,
            trackingNumber: update.trackingNumber,
          },
        }),
      );
      if (!wrote) return await cancel(run, run.shipment);
      state.trackingStatus = update.status;
      state.trackingEventTime = update.eventTime;
      if (isFinalStatus(update.status)) {
        // 6. Final write-back done above; the business record says delivered (or returned/cancelled).
        await run.record(update.status === 'delivered' ? 'delivered' : 'cancelled', 'done');
        return await run.finish();
      }
    }
    // Only with nothing pending: an update that arrived meanwhile is applied by this run, not dropped.
    const long =
      workflowInfo().continueAsNewSuggested ||
      workflowInfo().historyLength > (input.historyLimit ?? HISTORY_LIMIT);
    if (long && inbox.updates.length === 0) {
      await run.finish(); // every handler done, so none is cut off by the new run
      await continueAsNew<typeof orderShipment>({
        ...input,
        resume: {
          order: run.order!,
          shipment: run.shipment!,
          trackingStatus: state.trackingStatus,
          trackingEventTime: state.trackingEventTime,
        },
      });
    }
  }
}

/** Cancel: void the label if one exists, record it in the ERP, and finish. */
async function cancel(run: OrderRun, existing: ShipmentResult | undefined): Promise<OrderState> {
  const why = run.cancelReason;
  if (existing) {
    // Not cancellable itself: if voiding fails, the order waits in needs_attention for `retry`.
    await run.step(
      'done',
      'cancelled',
      () =>
        run.external.carrierCancelShipment({
          carrierConnection: run.input.carrierConnection,
          idempotencyKey: run.idempotencyKey,
        }),
      { cancellable: false },
    );
  }
  return await run.finishCancelled(why);
}

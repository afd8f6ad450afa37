import {
  ActivityFailure,
  ApplicationFailure,
  CancelledFailure,
  condition,
  continueAsNew,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
  allHandlersFinished,
  TimeoutFailure,
} from '@temporalio/workflow';
import type { AttentionReason, OrderStatus, OrderStep } from '../domain/lifecycle';
import type { ShipmentResult, TrackingUpdate } from '../domain/model';
import type { ErpOrder } from '../domain/order';
import { buildShipmentRequest, type ShipmentMappingConfig } from '../domain/shipment-request';
import { shipmentIdempotencyKey } from '../domain/ids';
import { isFinalStatus } from '../domain/status';
import { ACCESS_KINDS, TRANSIENT_KINDS, isErrorKind, type ErrorKind } from '../domain/error-kinds';
import {
  coversOrder,
  type FulfilmentMode,
  type FulfilmentShipment,
  type WarehouseOrderPhase,
} from '../domain/fulfilment';
import type { OrderActivities } from '../activities/orders/activities';
import {
  cancelSignal,
  orderChangedSignal,
  retrySignal,
  shipmentNoticeSignal,
  statusQuery,
  trackingUpdateSignal,
  type OrderState,
} from './messages';
import {
  SA_CARRIER,
  SA_CONNECTION,
  SA_ERP_ORDER_NUMBER,
  SA_STATUS,
  SA_TRACKING_NUMBER,
} from './search-attributes';

// One workflow per order, ever: id `order/<erp connection>/<erp order key>`.
//   load -> map + validate -> create shipment (idempotent) -> write tracking -> track until delivered -> final write
// A permanent failure parks the order in needs_attention with the reason until an operator
// signals `retry` (after fixing the data) or `cancel`.
// With a warehouse system (mode `warehouse`, ShipStation) the middle differs, the rest is shared:
//   load -> submit the order (pushed again on ERP edits while open) -> each shipment the warehouse
//   makes: write tracking + take the quantities out of ERP stock -> shipped once every line is

export interface OrderShipmentInput {
  erpConnection: string;
  orderKey: string;
  orderNumber: string;
  carrierConnection: string;
  carrier: string;
  /** How the order becomes a label request (label carriers; absent for a warehouse system). */
  routing?: ShipmentMappingConfig;
  /** label (default): create the shipment at the carrier; warehouse: hand the order to a warehouse system. */
  mode?: FulfilmentMode;
  /** Days without any tracking update before the order is parked as stalled. */
  stallDays?: number;
  /** Continue as new past this many history events while tracking (default 2000; the server suggests 4096). */
  historyLimit?: number;
  /**
   * When a step's retries run out on a transient failure (the system is down or busy), the order
   * waits on that system and tries again by itself: first after `firstPauseMs` (default 1 min),
   * doubling up to `maxPauseMs` (1 h), for `giveUpAfterMs` (24 h) before it asks a person.
   */
  patience?: { firstPauseMs?: number; maxPauseMs?: number; giveUpAfterMs?: number };
  /** Attempts per ERP or carrier call before its step gives up (default 10, about eight minutes). */
  callAttempts?: number;
  /** Carried over by continue-as-new. */
  resume?: ResumeState;
}

interface ResumeState {
  order: ErpOrder;
  shipment: ShipmentResult;
  trackingStatus?: string;
  trackingEventTime?: string;
}

// Short, frequent calls to ERPs and carriers. Retryable faults back off up to a few minutes (ten
// attempts, about eight minutes); after that a transient fault makes the order wait on the system
// (see `step`), a permanent one parks it for a person.
const EXTERNAL_RETRY = {
  initialInterval: '2 seconds',
  backoffCoefficient: 2,
  maximumInterval: '2 minutes',
  maximumAttempts: 10,
} as const;
// Bookkeeping in our own database: retried until it works. A local activity: it runs in the
// worker's own workflow task and leaves one marker in the history instead of three events and a
// second workflow task, which keeps a delivered order's history short (the audit log has the detail).
// A worker crash before the task completes runs it again: the order row is an upsert, and the audit
// log may then show that one change twice.
const local = proxyLocalActivities<OrderActivities>({
  startToCloseTimeout: '30 seconds',
  localRetryThreshold: '10 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});

const HISTORY_LIMIT = 2000;

export async function orderShipment(input: OrderShipmentInput): Promise<OrderState> {
  const workflowId = workflowInfo().workflowId;
  const external = proxyActivities<OrderActivities>({
    startToCloseTimeout: '60 seconds',
    retry: { ...EXTERNAL_RETRY, maximumAttempts: input.callAttempts ?? EXTERNAL_RETRY.maximumAttempts },
  });
  const idempotencyKey = shipmentIdempotencyKey(workflowId);
  const state: OrderState = {
    status: input.resume ? 'in_transit' : 'detected',
    step: input.resume ? 'track' : 'load',
    erpConnection: input.erpConnection,
    orderKey: input.orderKey,
    orderNumber: input.orderNumber,
    carrierConnection: input.carrierConnection,
    trackingNumber: input.resume?.shipment.masterTrackingNumber,
    trackingStatus: input.resume?.trackingStatus,
    trackingEventTime: input.resume?.trackingEventTime,
    attempts: 0,
  };
  let order: ErpOrder | undefined = input.resume?.order;
  let shipment: ShipmentResult | undefined = input.resume?.shipment;
  let retryRequested = false;
  let cancelRequested: { reason?: string; by?: string } | undefined;
  const pendingUpdates: TrackingUpdate[] = [];
  const pendingShipments: FulfilmentShipment[] = [];
  let changedVersion: string | undefined;

  setHandler(statusQuery, () => state);
  setHandler(retrySignal, () => {
    retryRequested = true;
  });
  setHandler(cancelSignal, (args) => {
    cancelRequested = args ?? {};
  });
  setHandler(trackingUpdateSignal, (update) => {
    pendingUpdates.push(update);
  });
  setHandler(shipmentNoticeSignal, (shipment) => {
    pendingShipments.push(shipment);
  });
  setHandler(orderChangedSignal, ({ version }) => {
    changedVersion = version;
  });

  // The business record (orders table, audit) first, then what queries and the Web UI show, so a
  // caller who sees a status can rely on the database having it too.
  const record = async (status: OrderStatus, step: OrderStep, attention?: AttentionReason) => {
    await local.recordOrderStatus({
      workflowId,
      erpConnection: input.erpConnection,
      orderKey: input.orderKey,
      orderNumber: input.orderNumber,
      status,
      step,
      carrier: input.carrier,
      trackingNumber: state.trackingNumber,
      reason: attention ? `${attention.kind}: ${attention.message}` : undefined,
    });
    state.status = status;
    state.step = step;
    state.attention = attention;
    upsertSearchAttributes([
      { key: SA_STATUS, value: status },
      ...(state.trackingNumber ? [{ key: SA_TRACKING_NUMBER, value: state.trackingNumber }] : []),
    ]);
  };

  const patience = {
    firstPauseMs: input.patience?.firstPauseMs ?? 60_000,
    maxPauseMs: input.patience?.maxPauseMs ?? 3_600_000,
    giveUpAfterMs: input.patience?.giveUpAfterMs ?? 24 * 3_600_000,
  };

  /**
   * Run one step. A transient failure whose retries ran out (the system is away or busy) makes the
   * order wait on that system and try again by itself, backing off, for patience.giveUpAfterMs; a
   * permanent failure, or a transient one past that, parks the order until `retry` or `cancel`.
   * Returns undefined when the order was cancelled meanwhile.
   */
  const step = async <T>(
    name: OrderStep,
    status: OrderStatus,
    run: () => Promise<T>,
    opts: { cancellable: boolean } = { cancellable: true },
  ): Promise<{ value: T } | undefined> => {
    const stop = () => opts.cancellable && cancelRequested !== undefined;
    let waited = 0;
    let pause = patience.firstPauseMs;
    for (;;) {
      if (stop()) return undefined;
      if (state.status !== status || state.step !== name) await record(status, name);
      try {
        state.attempts++;
        return { value: await run() };
      } catch (err) {
        const attention = attentionFor(name, err);
        retryRequested = false;
        if (isTransientAttention(attention) && waited < patience.giveUpAfterMs) {
          const atCarrier = attention.kind === 'carrier_unavailable';
          const system = atCarrier ? input.carrierConnection : input.erpConnection;
          await record('waiting', name, {
            ...attention,
            message: `waiting on ${system}, trying again by itself in ${minutes(pause)}: ${attention.message}`,
          });
          await condition(() => retryRequested || stop(), pause);
          waited += pause;
          pause = Math.min(pause * 2, patience.maxPauseMs);
          continue;
        }
        await record('needs_attention', name, attention);
        await condition(() => retryRequested || stop());
        waited = 0;
        pause = patience.firstPauseMs;
        if (stop()) return undefined;
      }
    }
  };

  upsertSearchAttributes([
    { key: SA_CONNECTION, value: input.erpConnection },
    { key: SA_ERP_ORDER_NUMBER, value: input.orderNumber },
    { key: SA_CARRIER, value: input.carrier },
  ]);

  if (input.mode === 'warehouse') return await fulfilByWarehouse();

  if (!shipment) {
    // 1-2. Load the order and map it into a carrier-neutral ShipmentRequest, validated before any carrier call.
    const prepared = await step('load', 'detected', async () => {
      order = await external.erpLoadOrder({ erpConnection: input.erpConnection, orderKey: input.orderKey });
      if (!input.routing) {
        throw ApplicationFailure.nonRetryable(
          `no shipment mapping for carrier connection ${input.carrierConnection}`,
          'ConfigurationError',
          { kind: 'business' },
        );
      }
      const { request, problems } = buildShipmentRequest(order, input.routing, {
        idempotencyKey,
        // Workflow time is deterministic; a parked order retried days later ships that day.
        today: new Date().toISOString().slice(0, 10),
      });
      if (problems.length > 0) {
        throw ApplicationFailure.nonRetryable(
          problems.map((p) => `${p.field}: ${p.message}`).join('; '),
          'OrderValidationError',
          { kind: 'validation', problems },
        );
      }
      return request;
    });
    if (!prepared) return await cancel(undefined);

    // 3. Create the shipment and label at the carrier (idempotent on the workflow-derived key).
    const created = await step('create_shipment', 'creating_shipment', () =>
      external.carrierCreateShipment({
        carrierConnection: input.carrierConnection,
        workflowId,
        erpConnection: input.erpConnection,
        orderKey: input.orderKey,
        request: prepared.value,
      }),
    );
    if (!created) return await cancel(undefined);
    shipment = created.value;
    state.trackingNumber = shipment.masterTrackingNumber;

    // 4. Write the tracking number, service and cost back into the ERP.
    const written = await step('write_tracking', 'writing_tracking', () =>
      external.erpWriteTracking({
        erpConnection: input.erpConnection,
        order: handleOf(order!),
        tracking: {
          carrier: input.carrier,
          trackingNumber: shipment!.masterTrackingNumber,
          pieceTrackingNumbers: shipment!.pieceTrackingNumbers,
          serviceType: shipment!.serviceType,
          shipDate: prepared.value.shipDate,
          cost: shipment!.cost,
          labelRef: shipment!.label && 'ref' in shipment!.label ? shipment!.label.ref : undefined,
        },
      }),
    );
    if (!written) return await cancel(shipment);
    await record('in_transit', 'track');
  }

  // 5. Track until a final status: updates arrive as signals (tracking sweep, webhooks).
  const stallMs = (input.stallDays ?? 30) * 24 * 3600 * 1000;
  for (;;) {
    const got = await condition(() => pendingUpdates.length > 0 || cancelRequested !== undefined, stallMs);
    if (cancelRequested) return await cancel(shipment);
    if (!got) {
      await record('needs_attention', 'track', {
        step: 'track',
        kind: 'stalled',
        message: `no tracking update for ${input.stallDays ?? 30} days`,
      });
      retryRequested = false;
      await condition(() => retryRequested || cancelRequested !== undefined || pendingUpdates.length > 0);
      if (cancelRequested) return await cancel(shipment);
      await record('in_transit', 'track');
      continue;
    }
    // Apply in event-time order; older events than the last applied one are history, not news.
    pendingUpdates.sort((a, b) => a.eventTime.localeCompare(b.eventTime));
    const updates = pendingUpdates.splice(0);
    for (const update of updates) {
      if (state.trackingEventTime && update.eventTime <= state.trackingEventTime) continue;
      if (update.status === state.trackingStatus) {
        state.trackingEventTime = update.eventTime;
        continue;
      }
      const wrote = await step('track', 'in_transit', () =>
        external.erpWriteStatus({
          erpConnection: input.erpConnection,
          order: handleOf(order!),
          status: {
            status: update.status,
            at: update.eventTime,
            description: update.description,
            trackingNumber: update.trackingNumber,
          },
        }),
      );
      if (!wrote) return await cancel(shipment);
      state.trackingStatus = update.status;
      state.trackingEventTime = update.eventTime;
      if (isFinalStatus(update.status)) {
        // 6. Final write-back done above; the business record says delivered (or returned/cancelled).
        await record(update.status === 'delivered' ? 'delivered' : 'cancelled', 'done');
        await condition(allHandlersFinished);
        return state;
      }
    }
    // Only with nothing pending: an update that arrived meanwhile is applied by this run, not dropped.
    const long =
      workflowInfo().continueAsNewSuggested ||
      workflowInfo().historyLength > (input.historyLimit ?? HISTORY_LIMIT);
    if (long && pendingUpdates.length === 0) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof orderShipment>({
        ...input,
        resume: {
          order: order!,
          shipment: shipment!,
          trackingStatus: state.trackingStatus,
          trackingEventTime: state.trackingEventTime,
        },
      });
    }
  }

  /**
   * The warehouse path. Shipments are applied in arrival order, each once per shipmentId; an ERP
   * edit is pushed again (the activity skips content already there and never touches an order the
   * warehouse has shipped or cancelled). The order is shipped once the shipments cover every line,
   * or once the warehouse calls it shipped after at least one shipment.
   */
  async function fulfilByWarehouse(): Promise<OrderState> {
    const stallDays = input.stallDays ?? 30;
    const applied = new Set<string>();
    const shipped: FulfilmentShipment[] = [];
    let phase: WarehouseOrderPhase | undefined;

    const submit = async (reload: boolean) => {
      const done = await step('submit_order', 'creating_shipment', async () => {
        if (reload || !order) {
          order = await external.erpLoadOrder({
            erpConnection: input.erpConnection,
            orderKey: input.orderKey,
          });
        }
        return await external.fulfilmentSubmitOrder({
          carrierConnection: input.carrierConnection,
          workflowId,
          order,
        });
      });
      if (done) phase = done.value.phase;
      return done !== undefined;
    };

    if (!(await submit(false))) return await cancelAtWarehouse();
    for (;;) {
      if (phase === 'attention' && pendingShipments.length === 0) {
        await record('needs_attention', 'submit_order', {
          step: 'submit_order',
          kind: 'warehouse_rejected',
          message:
            'the warehouse system holds the order in a state that needs a person (e.g. rejected fulfilment)',
        });
        retryRequested = false;
        await condition(() => retryRequested || cancelRequested !== undefined || pendingShipments.length > 0);
        if (cancelRequested) return await cancelAtWarehouse();
        if (retryRequested && !(await submit(true))) return await cancelAtWarehouse();
        continue;
      }
      if (phase === 'cancelled' && pendingShipments.length === 0 && shipped.length === 0) {
        cancelRequested = { reason: 'cancelled in the warehouse system' };
        return await cancelAtWarehouse();
      }
      if (phase === 'shipped' && shipped.length > 0 && pendingShipments.length === 0) break;
      if (state.status !== 'awaiting_fulfilment') await record('awaiting_fulfilment', 'await_shipment');

      const got = await condition(
        () => pendingShipments.length > 0 || changedVersion !== undefined || cancelRequested !== undefined,
        stallDays * 24 * 3600 * 1000,
      );
      if (cancelRequested) return await cancelAtWarehouse();
      if (!got) {
        await record('needs_attention', 'await_shipment', {
          step: 'await_shipment',
          kind: 'stalled',
          message: `the warehouse has not shipped the order in ${stallDays} days`,
        });
        retryRequested = false;
        await condition(
          () =>
            retryRequested ||
            cancelRequested !== undefined ||
            pendingShipments.length > 0 ||
            changedVersion !== undefined,
        );
        if (cancelRequested) return await cancelAtWarehouse();
        if (retryRequested && !(await submit(true))) return await cancelAtWarehouse();
        continue;
      }

      for (const notice of pendingShipments.splice(0)) {
        if (applied.has(notice.shipmentId)) continue;
        const wrote = await step('write_shipment', 'writing_tracking', async () => {
          await external.erpWriteTracking({
            erpConnection: input.erpConnection,
            order: handleOf(order!),
            tracking: {
              carrier: notice.carrier,
              trackingNumber: notice.trackingNumber,
              pieceTrackingNumbers: [],
              serviceType: notice.service ?? '',
              shipDate: notice.shipDate,
              cost: notice.cost,
            },
          });
          return await external.erpRecordShipped({
            erpConnection: input.erpConnection,
            order: handleOf(order!),
            shipment: notice,
          });
        });
        if (!wrote) return await cancelAtWarehouse();
        applied.add(notice.shipmentId);
        shipped.push(notice);
        state.trackingNumber = notice.trackingNumber;
      }
      if (shipped.length > 0 && coversOrder(order!.lines, shipped)) break;

      // An edit seen while nothing was shipped yet: push it (the warehouse may still take it).
      if (changedVersion !== undefined && pendingShipments.length === 0) {
        changedVersion = undefined;
        if (!(await submit(true))) return await cancelAtWarehouse();
      }
    }
    await record('shipped', 'done');
    await condition(allHandlersFinished);
    return state;
  }

  /** Cancel a warehouse order: withdraw it there while open, record it in the ERP, and finish. */
  async function cancelAtWarehouse(): Promise<OrderState> {
    let why = cancelRequested?.reason ?? 'cancelled by operator';
    if (order) {
      const withdrawn = await step(
        'done',
        'cancelled',
        () =>
          external.fulfilmentCancelOrder({
            carrierConnection: input.carrierConnection,
            workflowId,
            order: order!,
          }),
        { cancellable: false },
      );
      if (withdrawn?.value.phase === 'shipped') {
        why += ' (the warehouse had already shipped it: void the label there if the goods must stay)';
      }
    }
    return await finishCancelled(why);
  }

  /** Cancel: void the label if one exists, record it in the ERP, and finish. */
  async function cancel(existing: ShipmentResult | undefined): Promise<OrderState> {
    const why = cancelRequested?.reason ?? 'cancelled by operator';
    if (existing) {
      // Not cancellable itself: if voiding fails, the order waits in needs_attention for `retry`.
      await step(
        'done',
        'cancelled',
        () => external.carrierCancelShipment({ carrierConnection: input.carrierConnection, idempotencyKey }),
        { cancellable: false },
      );
    }
    return await finishCancelled(why);
  }

  /** The ERP note (best effort) and the final record of a cancelled order. */
  async function finishCancelled(why: string): Promise<OrderState> {
    if (order) {
      await external
        .erpWriteStatus({
          erpConnection: input.erpConnection,
          order: handleOf(order),
          status: {
            status: 'cancelled',
            at: new Date().toISOString(),
            description: why,
            trackingNumber: state.trackingNumber,
          },
        })
        .catch(() => undefined); // the cancellation stands even if the ERP note fails; the audit log has it
    }
    await record('cancelled', 'done', { step: state.step, kind: 'cancelled', message: why });
    await condition(allHandlersFinished);
    return state;
  }
}

function handleOf(order: ErpOrder) {
  return { orderKey: order.orderKey, orderNumber: order.orderNumber, writeBackKeys: order.writeBackKeys };
}

/** A failure that passes by itself: the ERP or the carrier was away or busy. */
function isTransientAttention(a: AttentionReason): boolean {
  return a.kind === 'carrier_unavailable' || a.kind === 'erp_unavailable';
}

/** "1 min", "2 min", "1 h": how long until the next try, as a person reads it. */
function minutes(ms: number): string {
  if (ms >= 3_600_000 && ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms >= 60_000) return `${Math.round(ms / 60_000)} min`;
  return `${Math.max(1, Math.round(ms / 1000))} s`;
}

/**
 * Turn an activity failure into an operator-facing reason, from the kind of failure the connector
 * reported (the ApplicationFailure's first detail) and never from type names. Field problems of
 * the order's own data come as `problems`.
 */
function attentionFor(step: OrderStep, err: unknown): AttentionReason {
  const atCarrier = step === 'create_shipment' || step === 'submit_order';
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof ApplicationFailure) {
    const facts = cause.details?.[0] as
      { kind?: unknown; problems?: AttentionReason['problems'] } | undefined;
    const kind: ErrorKind = isErrorKind(facts?.kind)
      ? facts.kind
      : cause.nonRetryable
        ? 'business'
        : 'unavailable';
    const problems = Array.isArray(facts?.problems) ? facts.problems : undefined;
    const reason = problems
      ? 'validation'
      : ACCESS_KINDS.has(kind)
        ? 'permission'
        : TRANSIENT_KINDS.has(kind)
          ? atCarrier
            ? 'carrier_unavailable'
            : 'erp_unavailable'
          : atCarrier
            ? 'carrier_rejected'
            : 'erp_rejected';
    return { step, kind: reason, message: cause.message, problems };
  }
  if (cause instanceof TimeoutFailure || cause instanceof CancelledFailure) {
    return {
      step,
      kind: atCarrier ? 'carrier_unavailable' : 'erp_unavailable',
      message: cause.message,
    };
  }
  return { step, kind: 'error', message: err instanceof Error ? err.message : String(err) };
}

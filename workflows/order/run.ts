// One order's run: what every lifecycle path shares. Its state (what the status query answers),
// the messages that arrived (signals land in `inbox`), the proxies to the order activities, and the
// three moves every path is made of: record a status, run a step (retrying, waiting out outages,
// parking for a person), and finish cancelled. The label path (label.ts) and the warehouse path
// (warehouse.ts) read as their own lifecycles on top of it.
import {
  allHandlersFinished,
  condition,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { AttentionReason, OrderStatus, OrderStep } from '../../domain/lifecycle';
import type { ShipmentResult, TrackingUpdate } from '../../domain/model';
import type { ErpOrder } from '../../domain/order';
import type { FulfilmentShipment } from '../../domain/fulfilment';
import { shipmentIdempotencyKey } from '../../domain/ids';
import type { OrderActivities } from '../../activities/orders/activities';
import {
  cancelSignal,
  orderChangedSignal,
  retrySignal,
  shipmentNoticeSignal,
  statusQuery,
  trackingUpdateSignal,
  type OrderState,
} from '../messages';
import { SA_STATUS, SA_TRACKING_NUMBER } from '../search-attributes';
import type { OrderShipmentInput } from '../order-shipment';
import { attentionFor, isTransientAttention, untilNextTry } from './attention';

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

/** What arrived by signal and has not been acted on yet. */
export interface Inbox {
  retryRequested: boolean;
  cancelRequested: { reason?: string; by?: string } | undefined;
  /** Tracking updates (sweep, webhooks), label path. */
  updates: TrackingUpdate[];
  /** Shipments the warehouse made, warehouse path. */
  shipments: FulfilmentShipment[];
  /** The ERP order changed (a new version, or its ship-to address), warehouse path. */
  changedVersion: string | undefined;
}

export class OrderRun {
  readonly workflowId = workflowInfo().workflowId;
  readonly idempotencyKey = shipmentIdempotencyKey(this.workflowId);
  readonly external: ReturnType<typeof proxyActivities<OrderActivities>>;
  readonly state: OrderState;
  readonly inbox: Inbox = {
    retryRequested: false,
    cancelRequested: undefined,
    updates: [],
    shipments: [],
    changedVersion: undefined,
  };
  order: ErpOrder | undefined;
  shipment: ShipmentResult | undefined;
  private readonly patience: { firstPauseMs: number; maxPauseMs: number; giveUpAfterMs: number };

  /** Sets up the run and its message handlers; call once, first thing in the workflow. */
  constructor(readonly input: OrderShipmentInput) {
    this.external = proxyActivities<OrderActivities>({
      startToCloseTimeout: '60 seconds',
      retry: { ...EXTERNAL_RETRY, maximumAttempts: input.callAttempts ?? EXTERNAL_RETRY.maximumAttempts },
    });
    this.patience = {
      firstPauseMs: input.patience?.firstPauseMs ?? 60_000,
      maxPauseMs: input.patience?.maxPauseMs ?? 3_600_000,
      giveUpAfterMs: input.patience?.giveUpAfterMs ?? 24 * 3_600_000,
    };
    this.order = input.resume?.order;
    this.shipment = input.resume?.shipment;
    this.state = {
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
    const inbox = this.inbox;
    setHandler(statusQuery, () => this.state);
    setHandler(retrySignal, () => {
      inbox.retryRequested = true;
    });
    setHandler(cancelSignal, (args) => {
      inbox.cancelRequested = args ?? {};
    });
    setHandler(trackingUpdateSignal, (update) => {
      inbox.updates.push(update);
    });
    setHandler(shipmentNoticeSignal, (shipment) => {
      inbox.shipments.push(shipment);
    });
    setHandler(orderChangedSignal, ({ version }) => {
      inbox.changedVersion = version;
    });
  }

  /** The order's ERP handle for write-backs (loaded before any write-back runs). */
  get handle() {
    const o = this.order!;
    return { orderKey: o.orderKey, orderNumber: o.orderNumber, writeBackKeys: o.writeBackKeys };
  }

  /**
   * The business record (orders table, audit) first, then what queries and the Web UI show, so a
   * caller who sees a status can rely on the database having it too.
   */
  async record(status: OrderStatus, step: OrderStep, attention?: AttentionReason): Promise<void> {
    await local.recordOrderStatus({
      workflowId: this.workflowId,
      erpConnection: this.input.erpConnection,
      orderKey: this.input.orderKey,
      orderNumber: this.input.orderNumber,
      status,
      step,
      carrier: this.input.carrier,
      trackingNumber: this.state.trackingNumber,
      reason: attention ? `${attention.kind}: ${attention.message}` : undefined,
    });
    this.state.status = status;
    this.state.step = step;
    this.state.attention = attention;
    upsertSearchAttributes([
      { key: SA_STATUS, value: status },
      ...(this.state.trackingNumber ? [{ key: SA_TRACKING_NUMBER, value: this.state.trackingNumber }] : []),
    ]);
  }

  /**
   * Run one step. A transient failure whose retries ran out (the system is away or busy) makes the
   * order wait on that system and try again by itself, backing off, for patience.giveUpAfterMs; a
   * permanent failure, or a transient one past that, parks the order until `retry` or `cancel`.
   * Returns undefined when the order was cancelled meanwhile. `run` learns whether it runs again
   * after its retries ran out (the order waited or was parked), when an earlier try may have landed.
   */
  async step<T>(
    name: OrderStep,
    status: OrderStatus,
    run: (again: boolean) => Promise<T>,
    opts: { cancellable: boolean } = { cancellable: true },
  ): Promise<{ value: T } | undefined> {
    const inbox = this.inbox;
    const stop = () => opts.cancellable && inbox.cancelRequested !== undefined;
    let waited = 0;
    let pause = this.patience.firstPauseMs;
    let again = false;
    for (;;) {
      if (stop()) return undefined;
      if (this.state.status !== status || this.state.step !== name) await this.record(status, name);
      try {
        this.state.attempts++;
        return { value: await run(again) };
      } catch (err) {
        again = true;
        const attention = attentionFor(name, err);
        inbox.retryRequested = false;
        if (isTransientAttention(attention) && waited < this.patience.giveUpAfterMs) {
          const atCarrier = attention.kind === 'carrier_unavailable';
          const system = atCarrier ? this.input.carrierConnection : this.input.erpConnection;
          await this.record('waiting', name, {
            ...attention,
            message: `waiting on ${system}, trying again by itself in ${untilNextTry(pause)}: ${attention.message}`,
          });
          await condition(() => inbox.retryRequested || stop(), pause);
          waited += pause;
          pause = Math.min(pause * 2, this.patience.maxPauseMs);
          continue;
        }
        await this.record('needs_attention', name, attention);
        await condition(() => inbox.retryRequested || stop());
        waited = 0;
        pause = this.patience.firstPauseMs;
        if (stop()) return undefined;
      }
    }
  }

  /** Park the order for a person with `attention` until `retry`, `cancel` or `alsoWakeOn()` holds. */
  async park(step: OrderStep, attention: AttentionReason, alsoWakeOn: () => boolean = () => false) {
    await this.record('needs_attention', step, attention);
    this.inbox.retryRequested = false;
    await condition(
      () => this.inbox.retryRequested || this.inbox.cancelRequested !== undefined || alsoWakeOn(),
    );
  }

  /** The ERP note (best effort) and the final record of a cancelled order. */
  async finishCancelled(why: string): Promise<OrderState> {
    if (this.order) {
      await this.external
        .erpWriteStatus({
          erpConnection: this.input.erpConnection,
          order: this.handle,
          status: {
            status: 'cancelled',
            at: new Date().toISOString(),
            description: why,
            trackingNumber: this.state.trackingNumber,
          },
        })
        .catch(() => undefined); // the cancellation stands even if the ERP note fails; the audit log has it
    }
    await this.record('cancelled', 'done', { step: this.state.step, kind: 'cancelled', message: why });
    return await this.finish();
  }

  /** Done: once every message handler has finished, the workflow returns its state. */
  async finish(): Promise<OrderState> {
    await condition(allHandlersFinished);
    return this.state;
  }

  /** Why the order is being cancelled, as the operator (or the warehouse) said it. */
  get cancelReason(): string {
    return this.inbox.cancelRequested?.reason ?? 'cancelled by operator';
  }
}

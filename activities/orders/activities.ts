import { Context } from '@temporalio/activity';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/common';
import type { Logger } from 'pino';
import { FINAL_ORDER_STATUSES, type OrderStatus, type OrderStep } from '../../domain/lifecycle';
import type { CustomsConfig, CustomsDetail } from '../../domain/customs';
import type { CountryCode, ShipmentRequest, TrackingUpdate } from '../../domain/model';
import type { StatusWriteBack, TrackingWriteBack } from '../../domain/order';
import { orderWorkflowId } from '../../domain/ids';
import type { Repos } from '../../lib/db/repos';
import type { DetectedOrder } from '../../lib/db/repos/orders';
import type { ShipmentMappingConfig } from '../../domain/shipment-request';
import { orderChangedSignal, trackingUpdateSignal } from '../../workflows/messages';
import type { OrderShipmentInput } from '../../workflows/order-shipment';
import type { FulfilmentMode, FulfilmentShipment } from '../../domain/fulfilment';
import type { ErpOrder, ReadyOrderRef } from '../../domain/order';
import type {
  CarrierPort,
  ErpOrderHandle,
  ErpPort,
  FulfilmentPort,
  WriteBackOutcome,
} from '../../connectors/ports';
import { acceptShipments, cancelOrdersCancelledAtWarehouse } from './fulfilment';
import { shipToVersion } from './ship-to';

/** Which carrier an ERP connection ships with, and how its orders map (from the config's mappings). */
export interface OrderRoute {
  carrierConnection: string;
  carrier: string;
  /** How orders become label requests (label carriers only). */
  routing?: ShipmentMappingConfig;
  /** label (default): the carrier makes a label on request ; warehouse: it ships the order itself (connectors/kit/system.ts, `mode`). */
  mode?: FulfilmentMode;
  /** What the warehouse path needs from the mapping (warehouse systems only). */
  warehouse?: WarehouseRouting;
}

/**
 * The mapping's part in a warehouse order: where the goods leave from and the customs settings, so
 * the workflow builds customs for an order shipped abroad (domain/customs.ts) before the push.
 */
export interface WarehouseRouting {
  /** ISO alpha-2 country of the warehouse: mappings[].shipFrom, else mappings[].customs.originCountry, else US. */
  originCountry: CountryCode;
  /** mappings[].customs, or DEFAULT_CUSTOMS. */
  customs: CustomsConfig;
}

export interface OrderActivityDeps {
  repos: Repos;
  erp(connection: string): ErpPort;
  carrier(connection: string): CarrierPort;
  /** The warehouse system behind a carrier connection of mode `warehouse` (absent: none configured). */
  fulfilment?(connection: string): FulfilmentPort;
  route(erpConnection: string): OrderRoute;
  /** Starts order workflows (poll) and signals them (tracking sweep). */
  client: Client;
  taskQueue: string;
  /** Attempts per call and outage patience for the order workflows the poll starts (defaults: theirs). */
  orderPolicy?: Pick<OrderShipmentInput, 'callAttempts' | 'patience'>;
  /** Look back this far behind the watermark, so nothing at a window edge is missed. */
  pollOverlapMs: number;
  /** How far back the very first poll of a connection looks. */
  initialLookbackMs: number;
  log: Logger;
  /**
   * How often the poll asks the ERP for ship-to addresses edited in place (ErpPort.shipToChanges),
   * for orders at a warehouse. Default 5 minutes; each check costs about one ERP read per customer
   * with open orders. 0 checks at every poll.
   */
  shipToCheckEveryMs?: number;
  /** In-transit shipments per tracking-sweep page (default 300: ten Track calls of 30 numbers). */
  trackPageSize?: number;
}

const READY_STREAM = 'ready-orders';
/** Started orders whose rows one statement records (see pollReadyOrders). */
const DETECTED_BATCH = 16;
const SHIPMENT_STREAM = 'shipments';
const SHIP_TO_STREAM = 'ship-to';
/** Addresses change rarely and a warehouse picks over hours: one check per 5 minutes is plenty. */
const DEFAULT_SHIP_TO_CHECK_MS = 5 * 60_000;

export function createOrderActivities(deps: OrderActivityDeps) {
  const { repos } = deps;
  const warehouse = (connection: string): FulfilmentPort => {
    if (!deps.fulfilment) throw new Error(`connection ${connection} is not a warehouse system`);
    return deps.fulfilment(connection);
  };
  const notifyOrder = (shipmentId: string, workflowId: string, update: TrackingUpdate) =>
    notifyOrderWorkflow(deps.client, repos, shipmentId, workflowId, update);

  /**
   * Ship-to addresses edited in place (the ERP leaves the order untouched, so detection cannot see
   * it): at most every shipToCheckEveryMs, ask the ERP which of the open orders' recorded ship-to
   * records changed since the last check, and tell each order whose address content differs from
   * what it was loaded with. Its workflow reloads the order and pushes it while the warehouse order
   * is open; a finished order is not asked about. Returns how many orders were told.
   */
  async function pushShipToEdits(erpConnection: string, until: Date): Promise<number> {
    const erp = deps.erp(erpConnection);
    if (!erp.shipToChanges) return 0;
    const mark = await repos.watermarks.get(erpConnection, SHIP_TO_STREAM);
    const every = deps.shipToCheckEveryMs ?? DEFAULT_SHIP_TO_CHECK_MS;
    if (mark && until.getTime() - mark.watermark.getTime() < every) return 0;
    const open = await repos.orders.listOpenShipTos(erpConnection, FINAL_ORDER_STATUSES);
    let told = 0;
    if (open.length > 0) {
      const since = new Date(
        (mark?.watermark.getTime() ?? until.getTime() - deps.initialLookbackMs) - deps.pollOverlapMs,
      );
      const refs = [...new Set(open.map((r) => r.ship_to_ref!))];
      const changes = await erp.shipToChanges({ since, until, refs });
      for (const row of open) {
        const now = changes.get(row.ship_to_ref!);
        if (!now) continue;
        const version = shipToVersion(now);
        if (version === row.ship_to_version) continue;
        await signalIfRunning(deps.client, row.workflow_id, `ship-to:${version}`);
        await repos.orders.setShipToVersion(erpConnection, row.order_key, version);
        told++;
      }
    }
    await repos.watermarks.advance(erpConnection, SHIP_TO_STREAM, until);
    return told;
  }

  return {
    /** The business record (orders table) and the audit trail follow every lifecycle change. */
    async recordOrderStatus(input: {
      workflowId: string;
      erpConnection: string;
      orderKey: string;
      orderNumber: string;
      status: OrderStatus;
      step: OrderStep;
      carrier?: string;
      trackingNumber?: string;
      reason?: string;
    }): Promise<void> {
      // Both are group-committed; they go side by side rather than one batch after the other.
      await Promise.all([
        repos.orders.recordStatus(
          {
            connection: input.erpConnection,
            orderKey: input.orderKey,
            erpOrderNumber: input.orderNumber,
            workflowId: input.workflowId,
          },
          input.status,
          { reason: input.reason, carrier: input.carrier, trackingNumber: input.trackingNumber },
        ),
        repos.audit.append({
          actor: 'workflow',
          action: `order.${input.status}`,
          outcome: input.status === 'needs_attention' ? 'attention' : 'ok',
          connection: input.erpConnection,
          workflowId: input.workflowId,
          orderKey: input.orderKey,
          details: {
            step: input.step,
            ...(input.reason ? { reason: input.reason } : {}),
            ...(input.trackingNumber ? { trackingNumber: input.trackingNumber } : {}),
          },
        }),
      ]);
    },

    /**
     * The order from its ERP. Where the connector names the ship-to record (ERPs that edit addresses
     * in place), the row keeps it with the content's hash, for the poll's ship-to check.
     */
    async erpLoadOrder(input: { erpConnection: string; orderKey: string; fresh?: boolean }) {
      const order = await deps
        .erp(input.erpConnection)
        .loadOrder(input.orderKey, input.fresh ? { fresh: true } : undefined);
      if (order.shipToRef) {
        await repos.orders.setShipTo(
          input.erpConnection,
          input.orderKey,
          order.shipToRef,
          shipToVersion(order.shipTo),
        );
      }
      return order;
    },

    async erpWriteTracking(input: {
      erpConnection: string;
      order: ErpOrderHandle;
      tracking: TrackingWriteBack;
    }): Promise<WriteBackOutcome> {
      return await deps.erp(input.erpConnection).writeTracking(input.order, input.tracking);
    },

    async erpWriteStatus(input: {
      erpConnection: string;
      order: ErpOrderHandle;
      status: StatusWriteBack;
    }): Promise<WriteBackOutcome> {
      return await deps.erp(input.erpConnection).writeStatus(input.order, input.status);
    },

    async carrierCreateShipment(input: {
      carrierConnection: string;
      workflowId: string;
      erpConnection: string;
      orderKey: string;
      request: ShipmentRequest;
    }) {
      const { carrierConnection, ...rest } = input;
      return await deps.carrier(carrierConnection).createShipment(rest);
    },

    async carrierCancelShipment(input: { carrierConnection: string; idempotencyKey: string }): Promise<void> {
      await deps.carrier(input.carrierConnection).cancelShipment(input.idempotencyKey);
    },

    /** Hand the order to the warehouse system, or bring its copy there up to date. */
    async fulfilmentSubmitOrder(input: {
      carrierConnection: string;
      workflowId: string;
      order: ErpOrder;
      lookFirst?: boolean;
      /** Present when the order leaves the warehouse's country (built by the workflow). */
      customs?: CustomsDetail;
    }) {
      return await warehouse(input.carrierConnection).submitOrder({
        workflowId: input.workflowId,
        order: input.order,
        ...(input.lookFirst ? { lookFirst: true } : {}),
        ...(input.customs ? { customs: input.customs } : {}),
      });
    },

    /** Cancel the order at the warehouse system while it is open there. */
    async fulfilmentCancelOrder(input: { carrierConnection: string; workflowId: string; order: ErpOrder }) {
      return await warehouse(input.carrierConnection).cancelOrder({
        workflowId: input.workflowId,
        order: input.order,
      });
    },

    /** A warehouse shipment's quantities out of ERP stock, once per shipmentId. */
    async erpRecordShipped(input: {
      erpConnection: string;
      order: ErpOrderHandle;
      shipment: FulfilmentShipment;
    }): Promise<{ applied: boolean; supported: boolean }> {
      const erp = deps.erp(input.erpConnection);
      if (!erp.recordShipped) return { applied: false, supported: false };
      const { applied } = await erp.recordShipped(input.order, input.shipment);
      return { applied, supported: true };
    },

    /**
     * One shipment poll of a warehouse connection: shipments created since the watermark (minus an
     * overlap) go to their order workflows, each once whatever else (a webhook) saw it first.
     */
    async pollShipments(input: { carrierConnection: string }) {
      const until = new Date();
      const mark = await repos.watermarks.get(input.carrierConnection, SHIPMENT_STREAM);
      const since = new Date(
        (mark?.watermark.getTime() ?? until.getTime() - deps.initialLookbackMs) - deps.pollOverlapMs,
      );
      const port = warehouse(input.carrierConnection);
      const intake = { client: deps.client, repos, log: deps.log };
      const seen = await port.listShipments({ since, until });
      const accepted = await acceptShipments(intake, input.carrierConnection, seen, 'poll');
      // Warehouse systems may notify no cancellation: orders cancelled there are found here.
      const cancelledKeys = await port.listCancelledOrders({ since, until });
      const cancelled = await cancelOrdersCancelledAtWarehouse(
        intake,
        input.carrierConnection,
        cancelledKeys,
        port.systemName,
      );
      const result = { ...accepted, cancelled };
      await repos.watermarks.advance(input.carrierConnection, SHIPMENT_STREAM, until);
      await repos.audit.append({
        actor: 'poll',
        action: 'shipments.poll',
        outcome: 'ok',
        connection: input.carrierConnection,
        details: { since: since.toISOString(), until: until.toISOString(), ...result },
      });
      return result;
    },

    /** ERP on-hand stock of the mapped SKUs into the warehouse system's inventory. */
    async syncInventory(input: { carrierConnection: string; erpConnection: string }) {
      const erp = deps.erp(input.erpConnection);
      if (!erp.onHand) throw new Error(`ERP connection ${input.erpConnection} cannot report on-hand stock`);
      const onHand = erp.onHand.bind(erp);
      const result = await warehouse(input.carrierConnection).syncInventory((skus) => onHand(skus));
      await repos.audit.append({
        actor: 'schedule',
        action: 'inventory.sync',
        outcome: 'ok',
        connection: input.carrierConnection,
        details: { erpConnection: input.erpConnection, ...result },
      });
      return result;
    },

    /**
     * One ERP poll: orders that became ready since the watermark (minus an overlap) each get their
     * workflow started, once: a running one is reused, a completed one is never started again.
     */
    async pollReadyOrders(input: {
      erpConnection: string;
    }): Promise<{ found: number; started: number; changed: number }> {
      const until = new Date();
      const mark = await repos.watermarks.get(input.erpConnection, READY_STREAM);
      const since = new Date(
        (mark?.watermark.getTime() ?? until.getTime() - deps.initialLookbackMs) - deps.pollOverlapMs,
      );
      const route = deps.route(input.erpConnection);
      type OrderRows = Awaited<ReturnType<typeof repos.orders.getMany>>;
      let recorded: OrderRows | undefined;
      // A known order needs no version on the label path; on the warehouse path only a finished
      // one (an edit to an open one must still be pushed).
      const knownKeys = async (keys: string[]) => {
        recorded = await repos.orders.getMany(input.erpConnection, keys);
        return new Set(
          [...recorded.values()]
            .filter(
              (r) => route.mode !== 'warehouse' || FINAL_ORDER_STATUSES.includes(r.status as OrderStatus),
            )
            .map((r) => r.order_key),
        );
      };
      let started = 0;
      let changed = 0;
      const handedOver = new Set<string>();
      // The rows of started orders go to the database a batch at a time (one statement, not one per
      // order); whatever a failed attempt started is still written before it fails, so its retry
      // skips those orders.
      const detected: DetectedOrder[] = [];
      const writeDetected = async () => {
        const rows = detected.splice(0);
        if (rows.length > 0) await repos.orders.recordDetected(rows);
      };
      // Each order is handed over as soon as detection confirms it: a poll attempt that fails later
      // (an unanswered read, a 429 burst) keeps what it started, and its retry skips those orders.
      const handOver = async (ref: ReadyOrderRef) => {
        if (handedOver.has(ref.orderKey)) return;
        handedOver.add(ref.orderKey);
        const workflowId = orderWorkflowId(input.erpConnection, ref.orderKey);
        // An order already recorded has its workflow: its row is written only after a start went
        // through (here, or by the workflow itself), so the overlap window costs no further calls.
        const known = recorded
          ? recorded.get(ref.orderKey)
          : (await repos.orders.getMany(input.erpConnection, [ref.orderKey])).get(ref.orderKey);
        if (known) {
          // An edit after the hand-over to a warehouse goes there too (the workflow pushes it while
          // the warehouse order is open). A version seen before changes nothing.
          if (route.mode === 'warehouse' && known.erp_version !== ref.version) {
            await signalIfRunning(deps.client, workflowId, ref.version);
            await repos.orders.setErpVersion(input.erpConnection, ref.orderKey, ref.version);
            changed++;
          }
          return;
        }
        try {
          await deps.client.workflow.start('orderShipment', {
            taskQueue: deps.taskQueue,
            workflowId,
            args: [
              {
                erpConnection: input.erpConnection,
                orderKey: ref.orderKey,
                orderNumber: ref.orderNumber,
                carrierConnection: route.carrierConnection,
                carrier: route.carrier,
                routing: route.routing,
                ...(route.mode === 'warehouse' ? { mode: route.mode } : {}),
                ...(route.warehouse ? { warehouse: route.warehouse } : {}),
                ...deps.orderPolicy,
              },
            ],
            // One workflow per order, ever: reuse a running one, never re-ship a finished one.
            workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
            workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
          });
        } catch (err) {
          if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
        }
        // Only after the start went through: a row means the order has its workflow.
        detected.push({
          connection: input.erpConnection,
          orderKey: ref.orderKey,
          erpOrderNumber: ref.orderNumber,
          workflowId,
          erpVersion: ref.version,
        });
        started++;
        if (detected.length >= DETECTED_BATCH) await writeDetected();
      };
      // Detection reads every new order's details: heartbeat meanwhile, so a slow ERP (an
      // unanswered read waits out its timeout) is not taken for a dead worker.
      const ctx = Context.current();
      const beat = setInterval(() => ctx.heartbeat(), 10_000);
      let refs: ReadyOrderRef[];
      try {
        refs = await deps
          .erp(input.erpConnection)
          .detectReadyOrders({ since, until }, { known: knownKeys, onReady: handOver });
        // A connector that cannot hand over as it goes answers everything at the end.
        for (const ref of refs) await handOver(ref);
      } catch (err) {
        await writeDetected().catch((e: Error) =>
          deps.log.warn(
            { erpConnection: input.erpConnection, err: e.message },
            'poll: detected orders not recorded',
          ),
        );
        throw err;
      } finally {
        clearInterval(beat);
      }
      await writeDetected();
      if (route.mode === 'warehouse') changed += await pushShipToEdits(input.erpConnection, until);
      await repos.watermarks.advance(input.erpConnection, READY_STREAM, until);
      await repos.audit.append({
        actor: 'poll',
        action: 'erp.poll',
        outcome: 'ok',
        connection: input.erpConnection,
        details: {
          since: since.toISOString(),
          until: until.toISOString(),
          found: refs.length,
          started,
          changed,
        },
      });
      return { found: refs.length, started, changed };
    },

    /**
     * One tracking sweep for a carrier connection: every in-transit shipment is tracked (the carrier
     * port sends at most 30 numbers per call), and only orders whose latest status differs from what
     * their workflow was last told are signalled. "Told" is recorded after each signal, so a sweep
     * that fails half-way re-signals on its retry and no update is lost.
     */
    async sweepTracking(input: {
      carrierConnection: string;
    }): Promise<{ shipments: number; changed: number; unknown: number; failedPages: number }> {
      const carrier = deps.carrier(input.carrierConnection);
      const pageSize = deps.trackPageSize ?? 300;
      // A retried sweep (the worker was killed, the server restarted) goes on after the last page
      // its previous attempt finished: those pages have told their workflows already.
      const ctx = Context.current();
      const resumed = ctx.info.heartbeatDetails as { afterId?: unknown } | undefined;
      let afterId = typeof resumed?.afterId === 'string' ? resumed.afterId : undefined;
      let shipments = 0;
      let changed = 0;
      let unknown = 0;
      let pages = 0;
      let failedPages = 0;
      let lastFailure: unknown;
      // Heartbeats carry the last page finished, also while a slow page is on its way (a Track call
      // re-sent after timeouts can outlast the heartbeat timeout).
      let finished = afterId;
      const done = (id: string) => {
        finished = id;
        ctx.heartbeat({ afterId: finished });
      };
      const beat = setInterval(() => ctx.heartbeat({ afterId: finished }), 10_000);
      try {
        for (;;) {
          const page = await repos.shipments.listInTransit(input.carrierConnection, {
            limit: pageSize,
            afterId,
          });
          if (page.length === 0) break;
          afterId = page[page.length - 1]!.id;
          shipments += page.length;
          pages++;
          const byNumber = new Map(
            page.filter((s) => s.master_tracking_number).map((s) => [s.master_tracking_number!, s]),
          );
          let tracked: Awaited<ReturnType<typeof carrier.track>>;
          try {
            tracked = await carrier.track([...byNumber.keys()]);
          } catch (err) {
            // One page the carrier could not answer waits for the next sweep; the other pages go on.
            failedPages++;
            lastFailure = err;
            deps.log.warn(
              { carrierConnection: input.carrierConnection, afterId, err: (err as Error).message },
              'tracking sweep: a page could not be tracked; the next sweep tries it again',
            );
            done(afterId);
            if (page.length < pageSize) break;
            continue;
          }
          unknown += tracked.errors.length;
          for (const update of latestPerNumber(tracked.updates)) {
            const shipment = byNumber.get(update.trackingNumber);
            if (!shipment || !isNews(update, shipment.notified_status, shipment.notified_event_time))
              continue;
            await notifyOrder(shipment.id, shipment.workflow_id, update);
            changed++;
          }
          done(afterId);
          if (page.length < pageSize) break;
        }
      } finally {
        clearInterval(beat);
      }
      // Nothing got through (the carrier down, credentials refused): the run fails and says why.
      if (failedPages > 0 && failedPages === pages) throw lastFailure;
      return { shipments, changed, unknown, failedPages };
    },
  };
}

/** A newer event with another status than the workflow was last told about. */
export function isNews(
  update: TrackingUpdate,
  notifiedStatus: string | null,
  notifiedAt: Date | null,
): boolean {
  if (notifiedAt && Date.parse(update.eventTime) <= notifiedAt.getTime()) return false;
  return update.status !== notifiedStatus;
}

/**
 * Signal a tracking update to its order workflow and record that it was told. Used by the sweep and
 * the webhook receivers alike. A workflow that has already finished is not an error: nothing waits.
 */
export async function notifyOrderWorkflow(
  client: Client,
  repos: Pick<Repos, 'shipments'>,
  shipmentId: string,
  workflowId: string,
  update: TrackingUpdate,
): Promise<void> {
  try {
    await client.workflow.getHandle(workflowId).signal(trackingUpdateSignal, update);
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
  }
  await repos.shipments.markNotified(shipmentId, update.status, new Date(update.eventTime));
}

/** Tell a running order workflow its ERP order changed; a finished one has nothing left to push. */
async function signalIfRunning(client: Client, workflowId: string, version: string): Promise<void> {
  try {
    await client.workflow.getHandle(workflowId).signal(orderChangedSignal, { version });
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
  }
}

/** Only the newest update per tracking number needs to reach the workflow. */
function latestPerNumber(updates: TrackingUpdate[]): TrackingUpdate[] {
  const latest = new Map<string, TrackingUpdate>();
  for (const u of updates) {
    const seen = latest.get(u.trackingNumber);
    if (!seen || u.eventTime > seen.eventTime) latest.set(u.trackingNumber, u);
  }
  return [...latest.values()];
}

export type OrderActivities = ReturnType<typeof createOrderActivities>;

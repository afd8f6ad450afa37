import { Context } from '@temporalio/activity';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/common';
import type { Logger } from 'pino';
import type { OrderStatus, OrderStep } from '../../domain/lifecycle';
import type { ShipmentRequest, TrackingUpdate } from '../../domain/model';
import type { StatusWriteBack, TrackingWriteBack } from '../../domain/order';
import { orderWorkflowId } from '../../domain/ids';
import type { Repos } from '../../lib/db/repos';
import type { ShipmentMappingConfig } from '../../domain/shipment-request';
import { trackingUpdateSignal } from '../../workflows/messages';
import type { CarrierPort, ErpOrderHandle, ErpPort } from './ports';

/** Which carrier an ERP connection ships with, and how its orders map (from the config's mappings). */
export interface OrderRoute {
  carrierConnection: string;
  carrier: string;
  routing: ShipmentMappingConfig;
}

export interface OrderActivityDeps {
  repos: Repos;
  erp(connection: string): ErpPort;
  carrier(connection: string): CarrierPort;
  route(erpConnection: string): OrderRoute;
  /** Starts order workflows (poll) and signals them (tracking sweep). */
  client: Client;
  taskQueue: string;
  /** Look back this far behind the watermark, so nothing at a window edge is missed. */
  pollOverlapMs: number;
  /** How far back the very first poll of a connection looks. */
  initialLookbackMs: number;
  log: Logger;
}

const READY_STREAM = 'ready-orders';
const TRACK_PAGE = 300; // ten Track calls of 30 numbers per page

export function createOrderActivities(deps: OrderActivityDeps) {
  const { repos } = deps;
  const notifyOrder = (shipmentId: string, workflowId: string, update: TrackingUpdate) =>
    notifyOrderWorkflow(deps.client, repos, shipmentId, workflowId, update);

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
      await repos.orders.upsertDetected({
        connection: input.erpConnection,
        orderKey: input.orderKey,
        erpOrderNumber: input.orderNumber,
        workflowId: input.workflowId,
      });
      await repos.orders.setStatus(input.erpConnection, input.orderKey, input.status, {
        reason: input.reason,
        carrier: input.carrier,
        trackingNumber: input.trackingNumber,
      });
      await repos.audit.append({
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
      });
    },

    async erpLoadOrder(input: { erpConnection: string; orderKey: string }) {
      return await deps.erp(input.erpConnection).loadOrder(input.orderKey);
    },

    async erpWriteTracking(input: {
      erpConnection: string;
      order: ErpOrderHandle;
      tracking: TrackingWriteBack;
    }): Promise<void> {
      await deps.erp(input.erpConnection).writeTracking(input.order, input.tracking);
    },

    async erpWriteStatus(input: {
      erpConnection: string;
      order: ErpOrderHandle;
      status: StatusWriteBack;
    }): Promise<void> {
      await deps.erp(input.erpConnection).writeStatus(input.order, input.status);
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

    /**
     * One ERP poll: orders that became ready since the watermark (minus an overlap) each get their
     * workflow started, once: a running one is reused, a completed one is never started again.
     */
    async pollReadyOrders(input: { erpConnection: string }): Promise<{ found: number; started: number }> {
      const until = new Date();
      const mark = await repos.watermarks.get(input.erpConnection, READY_STREAM);
      const since = new Date(
        (mark?.watermark.getTime() ?? until.getTime() - deps.initialLookbackMs) - deps.pollOverlapMs,
      );
      const refs = await deps.erp(input.erpConnection).detectReadyOrders({ since, until });
      const route = deps.route(input.erpConnection);
      let started = 0;
      for (const ref of refs) {
        const workflowId = orderWorkflowId(input.erpConnection, ref.orderKey);
        // An order already recorded has its workflow: its row is written only after a start went
        // through (here, or by the workflow itself), so the overlap window costs no further calls.
        if (await repos.orders.get(input.erpConnection, ref.orderKey)) continue;
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
              },
            ],
            // One workflow per order, ever: reuse a running one, never re-ship a finished one.
            workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
            workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
          });
        } catch (err) {
          if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
        }
        await repos.orders.upsertDetected({
          connection: input.erpConnection,
          orderKey: ref.orderKey,
          erpOrderNumber: ref.orderNumber,
          workflowId,
        });
        started++;
        Context.current().heartbeat();
      }
      await repos.watermarks.advance(input.erpConnection, READY_STREAM, until);
      await repos.audit.append({
        actor: 'poll',
        action: 'erp.poll',
        outcome: 'ok',
        connection: input.erpConnection,
        details: { since: since.toISOString(), until: until.toISOString(), found: refs.length, started },
      });
      return { found: refs.length, started };
    },

    /**
     * One tracking sweep for a carrier connection: every in-transit shipment is tracked (the carrier
     * port sends at most 30 numbers per call), and only orders whose latest status differs from what
     * their workflow was last told are signalled. "Told" is recorded after each signal, so a sweep
     * that fails half-way re-signals on its retry and no update is lost.
     */
    async sweepTracking(input: {
      carrierConnection: string;
    }): Promise<{ shipments: number; changed: number; unknown: number }> {
      const carrier = deps.carrier(input.carrierConnection);
      let afterId: string | undefined;
      let shipments = 0;
      let changed = 0;
      let unknown = 0;
      for (;;) {
        const page = await repos.shipments.listInTransit(input.carrierConnection, {
          limit: TRACK_PAGE,
          afterId,
        });
        if (page.length === 0) break;
        afterId = page[page.length - 1]!.id;
        shipments += page.length;
        const byNumber = new Map(
          page.filter((s) => s.master_tracking_number).map((s) => [s.master_tracking_number!, s]),
        );
        const { updates, errors } = await carrier.track([...byNumber.keys()]);
        unknown += errors.length;
        for (const update of latestPerNumber(updates)) {
          const shipment = byNumber.get(update.trackingNumber);
          if (!shipment || !isNews(update, shipment.notified_status, shipment.notified_event_time)) continue;
          await notifyOrder(shipment.id, shipment.workflow_id, update);
          changed++;
        }
        Context.current().heartbeat({ afterId });
        if (page.length < TRACK_PAGE) break;
      }
      return { shipments, changed, unknown };
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

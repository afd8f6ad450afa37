import { Context } from '@temporalio/activity';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/common';
import type { OrderActivities, OrderRoute } from '../activities/orders/activities';
import { orderWorkflowId } from '../domain/ids';
import type { ShipmentResult } from '../domain/model';
import type { ErpOrder } from '../domain/order';

// The null pipeline: the order activities under their real names, each answering at once with a
// canned value. Workflows, starts, signals and timers stay exactly as in the real pipeline, so the
// difference between the two is what the connectors, the database and the simulators cost.

export interface NullActivityDeps {
  client: Client;
  taskQueue: string;
  erpConnection: string;
  route: OrderRoute;
  /** A real order read once from the ERP simulator; every null order is a copy under its own key. */
  order: ErpOrder;
  /** Order keys the next null poll "finds". */
  ready: () => Array<{ orderKey: string; orderNumber: string }>;
  /** Called when an order's tracking number would have been written to the ERP. */
  onTrackingWritten?: (orderKey: string) => void;
}

export const NULL_SHIPMENT: ShipmentResult = {
  carrierShipmentId: 'null-shipment',
  masterTrackingNumber: '000000000000',
  pieceTrackingNumbers: ['000000000000'],
  label: null,
  serviceType: 'FEDEX_GROUND',
  cost: { amount: 0, currency: 'USD' },
};

export function createNullActivities(deps: NullActivityDeps): OrderActivities {
  return {
    recordOrderStatus: async () => undefined,
    erpLoadOrder: async (input) => ({ ...deps.order, orderKey: input.orderKey }),
    // The same answers as the real write-backs, so both pipelines carry the same payloads.
    erpWriteTracking: async (input) => {
      deps.onTrackingWritten?.(input.order.orderKey);
      return { written: true };
    },
    erpWriteStatus: async () => ({ written: true }),
    carrierCreateShipment: async () => NULL_SHIPMENT,
    carrierCancelShipment: async () => undefined,
    async pollReadyOrders(input) {
      // The same start as the real poll: one per order, in turn, with the same id policies.
      const refs = deps.ready();
      let started = 0;
      for (const ref of refs) {
        try {
          await deps.client.workflow.start('orderShipment', {
            taskQueue: deps.taskQueue,
            workflowId: orderWorkflowId(input.erpConnection, ref.orderKey),
            args: [
              {
                erpConnection: input.erpConnection,
                orderKey: ref.orderKey,
                orderNumber: ref.orderNumber,
                carrierConnection: deps.route.carrierConnection,
                carrier: deps.route.carrier,
                routing: deps.route.routing,
              },
            ],
            workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
            workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
          });
          started++;
        } catch (err) {
          if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
        }
        Context.current().heartbeat();
      }
      return { found: refs.length, started, changed: 0 };
    },
    sweepTracking: async () => ({ shipments: 0, changed: 0, unknown: 0, failedPages: 0 }),
    // The benchmark measures the label path (Plex -> FedEx); the warehouse path is not part of it.
    fulfilmentSubmitOrder: notMeasured,
    fulfilmentCancelOrder: notMeasured,
    erpRecordShipped: notMeasured,
    pollShipments: notMeasured,
    syncInventory: notMeasured,
  };
}

async function notMeasured(): Promise<never> {
  throw new Error('the null pipeline has no warehouse path');
}

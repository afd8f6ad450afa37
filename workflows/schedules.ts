import { proxyActivities } from '@temporalio/workflow';
import type { OrderActivities } from '../activities/orders/activities';

// The two periodic jobs, each started by a Temporal Schedule (pause, trigger and backfill come
// with it). Each run is one heartbeating activity, so the history stays a handful of events.

const { pollReadyOrders, sweepTracking, pollShipments, syncInventory } = proxyActivities<OrderActivities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '5 seconds', maximumInterval: '1 minute', maximumAttempts: 5 },
});

/** Find orders that became ready to ship in one ERP connection and start their workflows. */
export async function erpPoll(input: {
  erpConnection: string;
}): Promise<{ found: number; started: number; changed: number }> {
  return await pollReadyOrders(input);
}

/** Track every in-transit shipment of one carrier connection and signal the orders that moved. */
export async function trackingSweep(input: {
  carrierConnection: string;
}): Promise<{ shipments: number; changed: number; unknown: number; failedPages: number }> {
  return await sweepTracking(input);
}

/** Shipments a warehouse system made: to their orders, once each (webhooks' safety net). */
export async function shipmentPoll(input: { carrierConnection: string }) {
  return await pollShipments(input);
}

/** The ERP's on-hand stock of the mapped SKUs into the warehouse system's inventory. */
export async function inventorySync(input: { carrierConnection: string; erpConnection: string }) {
  return await syncInventory(input);
}

// Deterministic identifiers derived from business keys. Pure: workflows and activities share them.

/** One workflow per order, ever: readable in the Web UI and derived from the ERP's key. */
export function orderWorkflowId(erpConnection: string, orderKey: string): string {
  return `order/${erpConnection}/${orderKey}`;
}

/** The carrier idempotency key: the same order always carries the same key, across retries and restarts. */
export function shipmentIdempotencyKey(workflowId: string): string {
  return `ship:${workflowId}`;
}

export function erpPollScheduleId(erpConnection: string): string {
  return `erp-poll/${erpConnection}`;
}

export function trackingSweepScheduleId(carrierConnection: string): string {
  return `tracking-sweep/${carrierConnection}`;
}

export function shipmentPollScheduleId(carrierConnection: string): string {
  return `shipment-poll/${carrierConnection}`;
}

export function inventorySyncScheduleId(carrierConnection: string): string {
  return `inventory-sync/${carrierConnection}`;
}

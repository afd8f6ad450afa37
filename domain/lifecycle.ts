// The lifecycle of one order, as operators see it (orders table, MlcStatus search attribute,
// `orders list`). Pure: workflows import it.

export const ORDER_STATUSES = [
  'detected',
  'creating_shipment',
  'writing_tracking',
  'awaiting_fulfilment',
  'in_transit',
  'shipped',
  'delivered',
  // A step failed for a reason that passes (the system is down or busy) and its retries ran out:
  // the order tries again by itself on a durable timer, backing off, before it asks a person.
  'waiting',
  'needs_attention',
  'cancelled',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/**
 * Statuses an order never leaves (the workflow has completed). `shipped` ends an order a warehouse
 * system fulfilled: its shipments are written back; delivery is not followed.
 */
export const FINAL_ORDER_STATUSES: readonly OrderStatus[] = ['delivered', 'shipped', 'cancelled'];

/** The step an order is at or was parked in; `retry` resumes from here. */
export type OrderStep =
  | 'load'
  | 'create_shipment'
  | 'write_tracking'
  | 'track'
  | 'final_write'
  | 'done'
  // The warehouse-fulfilled path: push the order, wait for its shipments, write each one back.
  | 'submit_order'
  | 'await_shipment'
  | 'write_shipment';

/** Why an order is parked: what failed, in words an operator can act on. */
export interface AttentionReason {
  step: OrderStep;
  /** Stable category: validation, permission, carrier_rejected, erp_rejected, carrier_unavailable, erp_unavailable, stalled. */
  kind: string;
  message: string;
  /** Field-level problems for validation failures. */
  problems?: Array<{ field: string; message: string }>;
}

export function isOrderStatus(value: unknown): value is OrderStatus {
  return typeof value === 'string' && (ORDER_STATUSES as readonly string[]).includes(value);
}

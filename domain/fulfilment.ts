// The warehouse-fulfilled path (connectors whose mode is `warehouse`): the connector hands the order to
// a warehouse system, which picks, packs and buys the label itself; its shipments come back later
// (webhook or poll) and are written to the ERP. Pure types only: workflows import this module.

import type { Money } from './model';

/** How a mapping's carrier connection ships: it makes labels on request, or a warehouse ships for us. */
export type FulfilmentMode = 'label' | 'warehouse';

/** Where an order stands at the warehouse system. */
export type WarehouseOrderPhase = 'open' | 'shipped' | 'cancelled' | 'attention';

export interface SubmitOrderResult {
  phase: WarehouseOrderPhase;
  /** The warehouse system's own id of the order. */
  externalOrderId?: string;
  /** False when this content was pushed before (or the order may no longer change): nothing was sent. */
  pushed: boolean;
  /** Content version that is at the warehouse now. */
  version?: string;
}

/** One shipment the warehouse made for an order: what goes back to the ERP, once per shipmentId. */
export interface FulfilmentShipment {
  /** The warehouse system's shipment id: the dedup key for applying it to the ERP. */
  shipmentId: string;
  trackingNumber: string;
  /** Carrier code as the warehouse system names it ("ups", "stamps_com"). */
  carrier: string;
  service?: string;
  /** YYYY-MM-DD. */
  shipDate: string;
  cost?: Money;
  /** Shipped quantity per SKU (the ERP's part number). */
  items: Array<{ sku: string; quantity: number }>;
}

/** Sum of shipped quantities per SKU. */
export function shippedBySku(shipments: readonly FulfilmentShipment[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of shipments) for (const i of s.items) out.set(i.sku, (out.get(i.sku) ?? 0) + i.quantity);
  return out;
}

/** True when the shipments cover every line's quantity (a split shipment leaves the order open). */
export function coversOrder(
  lines: ReadonlyArray<{ sku: string; quantity: number }>,
  shipments: readonly FulfilmentShipment[],
): boolean {
  const wanted = new Map<string, number>();
  for (const l of lines) wanted.set(l.sku, (wanted.get(l.sku) ?? 0) + l.quantity);
  const shipped = shippedBySku(shipments);
  for (const [sku, qty] of wanted) if ((shipped.get(sku) ?? 0) < qty) return false;
  return true;
}

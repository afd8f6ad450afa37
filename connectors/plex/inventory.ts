// Plex inventory for the ShipStation flow, pure part: the JSON shapes of containers and inventory
// shipments, the input check of recordShippedQuantities, and which containers to ship. Plex's
// inventory shipment carries containers, not quantities (create -> stage serialNos -> ship), and
// the Connect spec has no container split, so shipped quantities must be made of whole containers.

import { PlexError } from './errors';

/** GET /inventory/v1/inventory-tracking/containers ("active containers"); fields the connector reads. */
export interface PlexContainer {
  serialNo: string;
  partId?: string | null;
  partNo?: string | null;
  quantity?: number | null;
  containerStatus?: string | null;
  location?: string | null;
  addDateTime?: string | null;
}

/** GET /inventory/v1/inventory-shipping/shipments[/{id}] and the answers of its beta actions. */
export interface PlexInventoryShipment {
  id: string;
  externalShipmentCode?: string | null;
  /** Unstaged, Staged or Shipped. */
  shipmentStatus?: string | null;
  containers?: Array<{ serialNo?: string | null }> | null;
  createdDate?: string | null;
}

export const PLEX_SHIPMENT_STATUS = { unstaged: 'Unstaged', staged: 'Staged', shipped: 'Shipped' } as const;

export interface ShippedItem {
  /** The Plex part number (the SKU the ShipStation side maps to it). */
  partNumber: string;
  quantity: number;
}

export interface ShippedQuantities {
  /** The ShipStation shipmentId: Plex keeps it as the inventory shipment's externalShipmentCode. */
  externalShipmentCode: string;
  items: ShippedItem[];
}

export interface RecordShippedResult {
  /** False when Plex had already shipped this externalShipmentCode: nothing was changed. */
  applied: boolean;
  inventoryShipmentId: string;
}

/** The spec: "50 character max". */
export const EXTERNAL_SHIPMENT_CODE_MAX = 50;

/**
 * The containers picked were staged or shipped by a concurrent inventory shipment meanwhile (two
 * warehouse shipments of the same part at once). Retryable: the next attempt picks again.
 */
export class PlexStockConflictError extends PlexError {
  readonly kind = 'conflict';
}

/** Plex's codes for a container another inventory shipment took first. */
export const CONTAINER_TAKEN_CODES: readonly string[] = ['CONTAINER_ALREADY_STAGED', 'CONTAINER_NOT_ACTIVE'];

/**
 * Stock cannot cover a shipment in whole containers: too little on hand, or no set of containers
 * that adds up to the shipped quantity. Someone must adjust stock or split a container in Plex.
 */
export class PlexInsufficientStockError extends PlexError {
  readonly kind = 'business';
}

/** Check the caller's input and merge repeated part numbers; throws RangeError on bad input. */
export function normalizeShipped(input: ShippedQuantities): ShippedQuantities {
  const code = input.externalShipmentCode;
  if (typeof code !== 'string' || code.trim() === '' || code.length > EXTERNAL_SHIPMENT_CODE_MAX) {
    throw new RangeError(
      `externalShipmentCode must be a non-empty string of at most ${EXTERNAL_SHIPMENT_CODE_MAX} characters`,
    );
  }
  const totals = new Map<string, number>();
  for (const item of input.items) {
    if (typeof item.partNumber !== 'string' || item.partNumber.trim() === '') {
      throw new RangeError('every item needs a partNumber');
    }
    if (!(Number.isFinite(item.quantity) && item.quantity > 0)) {
      throw new RangeError(`quantity of ${item.partNumber} must be a positive number`);
    }
    totals.set(item.partNumber, (totals.get(item.partNumber) ?? 0) + item.quantity);
  }
  if (totals.size === 0) throw new RangeError('items must not be empty');
  return {
    externalShipmentCode: code,
    items: [...totals].map(([partNumber, quantity]) => ({ partNumber, quantity })),
  };
}

/** Oldest first (FIFO), serial number as the tie-break so the pick is stable. */
export function fifoOrder(containers: PlexContainer[]): PlexContainer[] {
  return [...containers].sort(
    (a, b) =>
      (a.addDateTime ?? '').localeCompare(b.addDateTime ?? '') || a.serialNo.localeCompare(b.serialNo),
  );
}

export function quantityOf(container: PlexContainer): number {
  const q = container.quantity;
  return typeof q === 'number' && Number.isFinite(q) && q > 0 ? q : 0;
}

/** Sum of the containers' quantities (the active list is on-hand stock). */
export function sumOnHand(containers: PlexContainer[]): number {
  return containers.reduce((n, c) => n + quantityOf(c), 0);
}

/** Largest quantity the exact-sum search takes on; beyond it only the FIFO pass runs. */
const EXACT_SEARCH_LIMIT = 100_000;

/**
 * Containers whose quantities add up to exactly `quantity`, oldest first where that works: a FIFO
 * pass that skips containers too big for the rest, then, if that misses, a subset-sum search over
 * whole-number quantities that still walks the containers in FIFO order. Undefined when no exact
 * set exists.
 */
export function pickContainers(containers: PlexContainer[], quantity: number): PlexContainer[] | undefined {
  const ordered = fifoOrder(containers).filter((c) => quantityOf(c) > 0);
  const picked: PlexContainer[] = [];
  let rest = quantity;
  for (const c of ordered) {
    if (quantityOf(c) <= rest) {
      picked.push(c);
      rest -= quantityOf(c);
    }
    if (rest === 0) return picked;
  }
  const integral = Number.isInteger(quantity) && ordered.every((c) => Number.isInteger(quantityOf(c)));
  if (!integral || quantity > EXACT_SEARCH_LIMIT) return undefined;
  // reach[s]: the first-found set (in FIFO order) of containers summing to s.
  const reach: Array<number[] | undefined> = [[]];
  ordered.forEach((c, i) => {
    const q = quantityOf(c);
    for (let s = quantity; s >= q; s--) {
      const from = reach[s - q];
      if (from && !reach[s]) reach[s] = [...from, i];
    }
  });
  return reach[quantity]?.map((i) => ordered[i]!);
}

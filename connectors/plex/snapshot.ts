// What a Plex client keeps between calls, per connection and worker process (a client and its
// activity copies share one): master data (parts with a weight, customers) for five minutes, and the
// poll snapshot. Plex has no bulk read of an order, so the poll already reads each new order's
// record, lines and releases; it also reads what the poll's orders share (customers, their
// addresses and customer shippers, parts) in one go per group. The order's load, a separate activity
// seconds later, takes them from here instead of reading them again order by order.
//
// A snapshot never answers for itself: the load first reads what changed in Plex since the poll read
// it (orders, releases and customer shippers modified since then, three list calls that every load
// in the same second shares), and compares modified dates. An order whose record changed is read
// afresh; changed or new releases and shippers replace the snapshot's. See the README ("Calls per
// order") for what this assumes of Plex.

import { ExpiringCache } from '../../lib/expiring-cache';
import { plexInstant } from './mapping';
import type {
  PlexCustomer,
  PlexCustomerAddress,
  PlexCustomerShipper,
  PlexOrder,
  PlexOrderLine,
  PlexPart,
  PlexRelease,
} from './wire';

/** How long a part's or customer's master data (number, piece weight) is reused without reading it again. */
export const MASTER_DATA_MS = 5 * 60_000;
const MASTER_DATA_MAX = 10_000;
/** How long a poll's reads serve the loads of its orders (a load normally follows within seconds). */
export const SNAPSHOT_MS = 2 * 60_000;
const SNAPSHOT_MAX_ORDERS = 5_000;
const SNAPSHOT_MAX_CUSTOMERS = 2_000;
/**
 * The change read looks back this far before the poll's reads began: our clock against the modified
 * dates Plex stamps with its own, and Plex's whole seconds. Records in the overlap that did not change
 * carry the modified date the snapshot holds, so they cost bytes, not wrong answers.
 */
export const CHANGES_OVERLAP_MS = 30_000;
/** A change read serves the loads that start within this long after it began. */
export const CHANGES_REUSE_MS = 1_000;

/** One order as the poll read it. `readAt` (this process's clock) is when the poll's reads began. */
export interface OrderSnapshot {
  order: PlexOrder;
  /** Active lines. */
  lines: PlexOrderLine[];
  releases: PlexRelease[];
  readAt: number;
}

/** Customer-wide lists the poll read for its orders' loads. */
export interface CustomerSnapshot<T> {
  items: T[];
  readAt: number;
}

/** What Plex says changed since a moment: the records modified since, as they are now. */
export interface PlexChanges {
  orders: Map<string, PlexOrder>;
  /** By order line id. */
  releases: Map<string, PlexRelease[]>;
  /** By customer id. */
  shippers: Map<string, PlexCustomerShipper[]>;
}

export interface PlexSharedState {
  parts: ExpiringCache<PlexPart>;
  customers: ExpiringCache<PlexCustomer>;
  orders: ExpiringCache<OrderSnapshot>;
  addresses: ExpiringCache<CustomerSnapshot<PlexCustomerAddress>>;
  shippers: ExpiringCache<CustomerSnapshot<PlexCustomerShipper>>;
  /** The latest change read: since when it looked, when it began, its answer. */
  changes?: { since: number; startedAt: number; answer: Promise<PlexChanges> };
  /** Customer shippers waiting to be read before a write-back (writeback.ts). */
  shipperReads: { queued: Map<string, Array<ShipperWaiter>>; flushing: boolean };
  /**
   * Containers this process is staging right now (stock.ts): another shipment of the same part
   * picks around them instead of picking them too and being refused (a client error Plex counts).
   */
  pickedSerials: Set<string>;
}

export interface ShipperWaiter {
  resolve: (shipper: PlexCustomerShipper | undefined) => void;
  reject: (err: unknown) => void;
  /** Reads the batch through the waiter's own client (its audit sink, attempt and cancellation). */
  readMany: (ids: string[]) => Promise<PlexCustomerShipper[]>;
}

export function newSharedState(): PlexSharedState {
  return {
    parts: new ExpiringCache(MASTER_DATA_MS, MASTER_DATA_MAX),
    customers: new ExpiringCache(MASTER_DATA_MS, MASTER_DATA_MAX),
    orders: new ExpiringCache(SNAPSHOT_MS, SNAPSHOT_MAX_ORDERS),
    addresses: new ExpiringCache(SNAPSHOT_MS, SNAPSHOT_MAX_CUSTOMERS),
    shippers: new ExpiringCache(SNAPSHOT_MS, SNAPSHOT_MAX_CUSTOMERS),
    shipperReads: { queued: new Map(), flushing: false },
    pickedSerials: new Set(),
  };
}

/** The reads a change check needs (PlexClient's list calls). */
export interface ChangeReader {
  listOrders(q: { modifiedBegin: Date; modifiedEnd: Date }): Promise<PlexOrder[]>;
  listReleases(q: { modifiedBegin: Date; modifiedEnd: Date }): Promise<PlexRelease[]>;
  listCustomerShippers(q: { modifiedBegin: Date; modifiedEnd: Date }): Promise<PlexCustomerShipper[]>;
}

/**
 * What changed in Plex since `readAt` (less the overlap), read once for every load that starts within
 * CHANGES_REUSE_MS of the read. Every record a load then answers with is the change read's version or
 * a later one (the merge keeps the newer), so the load answers with Plex as it was at most that long
 * before it started: what a load started that much earlier would have read.
 */
export function changesSince(
  state: PlexSharedState,
  plex: ChangeReader,
  readAt: number,
  now: number,
): Promise<PlexChanges> {
  const since = readAt - CHANGES_OVERLAP_MS;
  const last = state.changes;
  if (last && last.since <= since && now - last.startedAt <= CHANGES_REUSE_MS && last.startedAt <= now) {
    return last.answer;
  }
  const window = { modifiedBegin: new Date(since), modifiedEnd: new Date(now + 1_000) };
  const answer = (async (): Promise<PlexChanges> => {
    const [orders, releases, shippers] = [
      await plex.listOrders(window),
      await plex.listReleases(window),
      await plex.listCustomerShippers(window),
    ];
    return {
      orders: new Map(orders.map((o) => [o.id, o])),
      releases: groupBy(releases, (r) => r.orderLineId),
      shippers: groupBy(shippers, (s) => s.customerId),
    };
  })();
  const entry = { since, startedAt: now, answer };
  state.changes = entry;
  // A failed read must not answer the next load: it reads again.
  answer.catch(() => {
    if (state.changes === entry) state.changes = undefined;
  });
  return answer;
}

/**
 * Which of two reads of one record is the later version, by Plex's modified date: `newer` when
 * `candidate` is, `same` or `older` otherwise, `unknown` when either has no readable date. A change
 * read may be older than a snapshot record (the poll goes on reading after a load's change read
 * began), so a change never replaces a newer record.
 */
function compare(
  candidate: { modifiedDate?: string | null },
  held: { modifiedDate?: string | null },
): 'newer' | 'same' | 'older' | 'unknown' {
  const a = plexInstant(candidate.modifiedDate);
  const b = plexInstant(held.modifiedDate);
  if (!a || !b) return 'unknown';
  return a > b ? 'newer' : a === b ? 'same' : 'older';
}

/** `held` with the records of `changes` that are new or later versions; undefined when one cannot be ordered. */
function merge<T extends { id: string; modifiedDate?: string | null }>(
  held: T[],
  changes: T[],
): T[] | undefined {
  const byId = new Map(held.map((r) => [r.id, r]));
  for (const r of changes) {
    const mine = byId.get(r.id);
    const order = mine ? compare(r, mine) : 'newer';
    if (order === 'unknown') return undefined;
    if (order === 'newer') byId.set(r.id, r);
  }
  return [...byId.values()];
}

/**
 * The snapshot's order brought up to date by `changes`, or undefined when its record changed (the
 * load then reads it afresh: a changed order may have changed lines, which Plex lists per order only)
 * or a change cannot be ordered against what the snapshot holds.
 */
export function currentOrder(snap: OrderSnapshot, changes: PlexChanges): OrderSnapshot | undefined {
  const changed = changes.orders.get(snap.order.id);
  if (changed && compare(changed, snap.order) !== 'same' && compare(changed, snap.order) !== 'older') {
    return undefined;
  }
  const releases = merge(
    snap.releases,
    snap.lines.flatMap((line) => changes.releases.get(line.id) ?? []),
  );
  return releases ? { ...snap, releases } : undefined;
}

/**
 * A customer's shippers as the poll read them, with those changed or created since replacing them;
 * undefined when a change cannot be ordered (the load then lists the shippers itself).
 */
export function currentShippers(
  snap: CustomerSnapshot<PlexCustomerShipper>,
  customerId: string,
  changes: PlexChanges,
): PlexCustomerShipper[] | undefined {
  return merge(snap.items, changes.shippers.get(customerId) ?? []);
}

function groupBy<T>(items: T[], key: (item: T) => string | null | undefined): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    if (!k) continue;
    const list = out.get(k) ?? [];
    list.push(item);
    out.set(k, list);
  }
  return out;
}

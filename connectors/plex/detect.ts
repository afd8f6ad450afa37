// Which Plex orders are ready to ship: the ERP poll's half of the Plex connector. It reads through
// the client's list calls only (transport, limits and answer checks are the client's), batching what
// a poll's orders share: one read of lines per new order (Plex has no bulk read of lines), their
// releases in one read per group, addresses per customer. Pages and groups are read in turn, two
// groups at a time at most. Before a group's orders are handed over, what their loads will need and
// the orders share (customers, their addresses and shippers, parts) is read in one go and kept with
// the order's record, lines and releases in the poll snapshot (snapshot.ts).
import type { Address } from '../../domain/model';
import type { ReadyOrderRef } from '../../domain/order';
import { forEachConcurrently } from '../../lib/concurrency';
import { chunks, unique } from '../kit/lists';
import type { PlexClient } from './client';
import type { PlexOrderLine } from './wire';
import {
  DEFAULT_READY_STATE,
  formatPlexDate,
  openReleases,
  orderVersion,
  plexInstant,
  statusIn,
  toAddress,
  type PlexReadyState,
} from './mapping';
import type { PlexCustomerShipper, PlexOrder, PlexRelease } from './wire';

export interface DetectQuery {
  /** The caller's watermark minus its overlap. */
  since: Date | string;
  until: Date | string;
  readyState?: PlexReadyState;
  /**
   * Which of the candidate orders the caller already knows and needs no version of: those are
   * left out before their lines and releases are read (two calls per order saved on every poll
   * whose overlap window sees them again).
   */
  known?: (orderKeys: string[]) => Promise<ReadonlySet<string>>;
  /**
   * Called for each order as soon as its lines and releases confirm it, while the others are still
   * being read: a detection that fails half-way has already handed over what it confirmed.
   */
  onReady?: (ref: ReadyOrderRef) => Promise<void>;
}

/**
 * New orders whose lines a detection reads at the same time, and whose releases (up to 40 line ids a
 * request) and shared master data it reads in one go.
 */
const DETECT_GROUP = 16;
/** Groups of new orders a detection works on at the same time. */
const DETECT_GROUP_CONCURRENCY = 2;

/**
 * Orders in the connection's ready state whose relevant record changed in [since, until], sorted
 * by modifiedAt. An order whose lines show no releases at all is still returned, so loading it
 * reports the permission problem instead of the order silently never shipping.
 */
export async function detectReadyOrders(plex: PlexClient, q: DetectQuery): Promise<ReadyOrderRef[]> {
  const state = q.readyState ?? DEFAULT_READY_STATE;
  // Before any read: a change made while the poll reads is newer than this, so a load sees it.
  const readAt = plex.now().getTime();
  const found = new Map<string, { order: PlexOrder; modifiedAt: string }>();
  const note = (order: PlexOrder, stamp?: string | null) => {
    const at = [plexInstant(order.modifiedDate), plexInstant(stamp)].filter((x): x is string => !!x).sort();
    const modifiedAt = at[at.length - 1] ?? new Date(formatPlexDate(q.until)).toISOString();
    const prior = found.get(order.id);
    if (!prior || prior.modifiedAt < modifiedAt) found.set(order.id, { order, modifiedAt });
  };

  if (state.kind === 'order') {
    const orders = await plex.listOrders({
      modifiedBegin: q.since,
      modifiedEnd: q.until,
      status: state.statuses,
    });
    // Filter again: Plex ignores filters it does not know, so never trust a filter blindly.
    for (const o of orders) if (statusIn(o.status, state.statuses)) note(o);
  } else if (state.kind === 'release') {
    const releases: PlexRelease[] = [];
    for (const status of state.statuses) {
      releases.push(...(await plex.listReleases({ status, modifiedBegin: q.since, modifiedEnd: q.until })));
    }
    const lineIds = unique(
      releases.filter((r) => statusIn(r.status, state.statuses)).map((r) => r.orderLineId),
    );
    const owners = await ordersOwningLines(plex, lineIds, state.orderStatuses);
    for (const r of releases) {
      const order = r.orderLineId ? owners.get(r.orderLineId) : undefined;
      if (order) note(order, r.modifiedDate);
    }
  } else {
    for (const status of state.statuses) {
      const shippers = await plex.listCustomerShippers({
        status,
        modifiedBegin: q.since,
        modifiedEnd: q.until,
      });
      for (const s of shippers.filter((x) => statusIn(x.status, state.statuses) && !x.trackingNumber)) {
        for (const order of await ordersOfShipper(plex, s, state.orderStatuses)) note(order, s.modifiedDate);
      }
    }
  }

  const known = q.known ? await q.known([...found.keys()]) : new Set<string>();
  const candidates = [...found.values()].filter(({ order }) => !known.has(order.id));
  const refs: ReadyOrderRef[] = [];
  // Each new order's lines (one read per order: Plex has no bulk read of lines), then the releases
  // of a group's lines in one read (up to IDS_PER_REQUEST line ids a request): about 1.1 reads per
  // order instead of 2. Two groups at a time, so one slow or unanswered read does not hold up the
  // rest; each group's confirmed orders go to the caller at once, before the slower groups.
  const groups = chunks(candidates, DETECT_GROUP);
  await forEachConcurrently(groups, DETECT_GROUP_CONCURRENCY, async (group) => {
    // An order whose lines cannot be read fails the detection, but only after its group-mates
    // went to the caller: one broken order must not hold up the orders that share its group.
    let failure: { error: unknown } | undefined;
    const read = await Promise.all(
      group.map(async (c) => {
        try {
          return { ...c, lines: (await plex.getOrderLines(c.order.id)).filter((l) => l.active !== false) };
        } catch (error) {
          failure ??= { error };
          return undefined;
        }
      }),
    );
    const withLines = read.filter((c) => c !== undefined);
    const lineIds = withLines.flatMap((c) => c.lines.map((l) => l.id));
    const releases = lineIds.length ? await plex.listReleases({ orderLineIds: lineIds }) : [];
    const confirmed: Array<{
      ref: ReadyOrderRef;
      order: PlexOrder;
      lines: PlexOrderLine[];
      own: PlexRelease[];
    }> = [];
    for (const { order, modifiedAt, lines } of withLines) {
      if (lines.length === 0) continue;
      // Filtered here too: Plex ignores filters it does not know, so never trust a filter blindly.
      const ids = new Set(lines.map((l) => l.id));
      const own = releases.filter((r) => r.orderLineId && ids.has(r.orderLineId));
      // Releases that all shipped: nothing to do. No releases at all: let the load say why.
      if (own.length > 0 && openReleases(own).length === 0) continue;
      const ref: ReadyOrderRef = {
        orderKey: order.id,
        orderNumber: order.orderNumber ?? order.id,
        modifiedAt,
        version: orderVersion(order, own),
      };
      confirmed.push({ ref, order, lines, own });
    }
    await prefetch(plex, confirmed, readAt);
    for (const { ref } of confirmed) {
      refs.push(ref);
      if (q.onReady) await q.onReady(ref);
    }
    if (failure) throw failure.error;
  });
  return refs.sort(
    (a, b) => a.modifiedAt.localeCompare(b.modifiedAt) || a.orderKey.localeCompare(b.orderKey),
  );
}

/**
 * Keep the group's orders for their loads, with what the loads share read in one go: customers by
 * id, each new customer's addresses and shippers (one list each), parts by id. Only a saving: a read
 * that fails here is logged and the load reads for itself.
 */
async function prefetch(
  plex: PlexClient,
  group: Array<{ order: PlexOrder; lines: PlexOrderLine[]; own: PlexRelease[] }>,
  readAt: number,
): Promise<void> {
  const { shared } = plex;
  const now = () => plex.now().getTime();
  for (const { order, lines, own } of group) {
    if (own.length > 0) shared.orders.set(order.id, { order, lines, releases: own, readAt }, now());
  }
  const customerIds = unique(group.map((g) => g.order.customerId));
  try {
    await plex.getCustomers(customerIds);
    for (const customerId of customerIds) {
      if (!shared.addresses.get(customerId, now())) {
        shared.addresses.set(
          customerId,
          { items: await plex.listCustomerAddresses(customerId), readAt },
          now(),
        );
      }
      if (!shared.shippers.get(customerId, now())) {
        shared.shippers.set(
          customerId,
          { items: await plex.listCustomerShippers({ customerId }), readAt },
          now(),
        );
      }
    }
    await plex.getParts(unique(group.flatMap((g) => g.lines.map((l) => l.partId))));
  } catch (err) {
    plex.signal?.throwIfAborted();
    plex.log.warn(
      { err: (err as Error).message },
      'Plex poll: shared reads for the loads failed; each load reads for itself',
    );
  }
}

/**
 * The orders a customer shipper serves. Cheap path: the customer's ready orders shipping to the
 * shipper's address, when exactly one does. Otherwise follow the shipper lines' releases to their
 * order lines (several orders to one address share a dock, so the address alone cannot decide).
 */
async function ordersOfShipper(
  plex: PlexClient,
  shipper: PlexCustomerShipper,
  orderStatuses: string[],
): Promise<PlexOrder[]> {
  const customerId = shipper.customerId ?? undefined;
  if (customerId && shipper.customerAddressId) {
    const orders = (await plex.listOrders({ customerId, status: orderStatuses })).filter(
      (o) => statusIn(o.status, orderStatuses) && o.shipToAddressId === shipper.customerAddressId,
    );
    if (orders.length === 1) return orders;
  }
  const lines = await plex.getCustomerShipperLines(shipper.id);
  const lineIds: string[] = [];
  for (const releaseId of unique(lines.map((l) => l.releaseId))) {
    const release = await plex.getRelease(releaseId);
    if (release?.orderLineId) lineIds.push(release.orderLineId);
  }
  const owners = await ordersOwningLines(plex, lineIds, orderStatuses, customerId);
  return [...new Set(owners.values())];
}

/**
 * Which order each line belongs to. Plex has no line-to-order lookup, so this reads the lines of
 * the orders in `orderStatuses` (of one customer when known) until every line is placed.
 */
async function ordersOwningLines(
  plex: PlexClient,
  lineIds: string[],
  orderStatuses: string[],
  customerId?: string,
): Promise<Map<string, PlexOrder>> {
  const owners = new Map<string, PlexOrder>();
  const missing = new Set(lineIds);
  if (missing.size === 0) return owners;
  // No date filter: a ready release can belong to an order untouched for months.
  const candidates = await plex.listOrders({
    status: orderStatuses,
    ...(customerId ? { customerId } : {}),
  });
  for (const order of candidates) {
    if (missing.size === 0) break;
    if (!statusIn(order.status, orderStatuses)) continue;
    for (const line of await plex.getOrderLines(order.id)) {
      if (missing.delete(line.id)) owners.set(line.id, order);
    }
  }
  return owners;
}

/**
 * The ship-to addresses among `refs` ("<customer id>/<address id>", as loadOrder hands them out)
 * that were edited in [since, until], with their content now. Plex edits an address in place and
 * leaves the orders that ship to it untouched, so the order poll cannot see such an edit. One read
 * per customer (addresses modified in the window), not one per order; the customer record comes
 * from the master-data cache.
 */
export async function shipToChanges(
  plex: PlexClient,
  q: { since: Date; until: Date; refs: string[] },
): Promise<Map<string, Address>> {
  const wanted = new Map<string, Set<string>>();
  for (const ref of q.refs) {
    const [customerId, addressId] = ref.split('/');
    if (!customerId || !addressId) continue;
    if (!wanted.has(customerId)) wanted.set(customerId, new Set());
    wanted.get(customerId)!.add(addressId);
  }
  const out = new Map<string, Address>();
  for (const [customerId, addressIds] of wanted) {
    const edited = (
      await plex.listCustomerAddresses(customerId, { modifiedBegin: q.since, modifiedEnd: q.until })
    ).filter((a) => addressIds.has(a.id));
    if (edited.length === 0) continue;
    const customer = await plex.getCustomer(customerId);
    for (const address of edited) out.set(`${customerId}/${address.id}`, toAddress(address, customer));
  }
  return out;
}

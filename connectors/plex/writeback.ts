// Write-back to the order's customer shipper (`PUT /shipping/v1-beta1/customer-shippers/{id}`):
// the tracking number, then delivery progress, each written once. Before a write the shipper is read
// as Plex holds it now, so a retry whose earlier attempt's PUT went through (its answer lost, its
// worker killed) writes nothing. That read must start after the write-back did; write-backs that
// wait for it together share one list read by id (`GET /shipping/v1/customer-shippers?id=`), a lone
// one reads its shipper by id. The PUT itself is one call per order: Plex has no bulk shipper update.

import type { StatusWriteBack, TrackingWriteBack } from '../../domain/order';
import { chunks } from '../kit/lists';
import { PlexNotFoundError } from './errors';
import {
  shipperShowsUpdate,
  toShipperStatusUpdate,
  toShipperTrackingUpdate,
  type PlexWriteBackConfig,
} from './mapping';
import type { PlexSharedState, ShipperWaiter } from './snapshot';
import type { PlexCustomerShipper, PlexOrder, PlexRelease, PlexShipperUpdate } from './wire';
import type { Logger } from 'pino';

export interface WriteBackResult {
  shipperId: string;
  /** False when Plex already held exactly this (a retried write). */
  written: boolean;
}

/** What the write-back needs of the client (PlexClient). */
export interface ShipperWriter {
  readonly log: Logger;
  readonly shared: PlexSharedState;
  getCustomerShipper(id: string): Promise<PlexCustomerShipper>;
  listCustomerShippersById(ids: string[]): Promise<PlexCustomerShipper[]>;
  updateCustomerShipper(id: string, patch: PlexShipperUpdate): Promise<PlexCustomerShipper | undefined>;
  getOrder(id: string): Promise<PlexOrder>;
  getOrderLines(orderId: string): Promise<Array<{ id: string }>>;
  listReleases(q: { orderLineIds: string[] }): Promise<PlexRelease[]>;
  findShipper(
    order: PlexOrder,
    customerId: string,
    shipToAddressId: string,
    releases: PlexRelease[],
  ): Promise<PlexCustomerShipper | undefined>;
}

/** Shipper ids per list request, as for every repeated-key filter. */
const IDS_PER_REQUEST = 40;

/** Write the tracking number (and carrier, ship date, freight) to the order's customer shipper. */
export async function writeTracking(
  plex: ShipperWriter,
  keys: Record<string, string>,
  wb: TrackingWriteBack,
  cfg: PlexWriteBackConfig = {},
): Promise<WriteBackResult> {
  const shipperId = await shipperIdFor(plex, keys);
  const current = await currentShipper(plex, shipperId);
  if (current.trackingNumber === wb.trackingNumber) return { shipperId, written: false };
  if (current.trackingNumber) {
    plex.log.warn(
      { shipperId, previous: current.trackingNumber },
      'customer shipper already had another tracking number; replacing it',
    );
  }
  await plex.updateCustomerShipper(shipperId, toShipperTrackingUpdate(wb, cfg));
  return { shipperId, written: true };
}

/**
 * Record a lifecycle change on the customer shipper (note, delivery date, mapped status), once:
 * a retry whose earlier attempt's write went through (its answer lost, or its worker killed after
 * the PUT) finds the shipper already showing it and writes nothing.
 */
export async function writeStatus(
  plex: ShipperWriter,
  keys: Record<string, string>,
  wb: StatusWriteBack,
  cfg: PlexWriteBackConfig = {},
): Promise<WriteBackResult> {
  const shipperId = await shipperIdFor(plex, keys);
  const update = toShipperStatusUpdate(wb, cfg);
  if (shipperShowsUpdate(await currentShipper(plex, shipperId), update)) {
    return { shipperId, written: false };
  }
  await plex.updateCustomerShipper(shipperId, update);
  return { shipperId, written: true };
}

async function shipperIdFor(plex: ShipperWriter, keys: Record<string, string>): Promise<string> {
  if (keys.shipperId) return keys.shipperId;
  const orderId = keys.orderId;
  if (orderId && keys.customerId && keys.shipToAddressId) {
    const order = await plex.getOrder(orderId);
    const lines = await plex.getOrderLines(orderId);
    const releases = lines.length ? await plex.listReleases({ orderLineIds: lines.map((l) => l.id) }) : [];
    const shipper = await plex.findShipper(order, keys.customerId, keys.shipToAddressId, releases);
    if (shipper) return shipper.id;
  }
  throw new PlexNotFoundError(
    `Plex write-back: no customer shipper found for sales order ${orderId ?? '(unknown)'}; ` +
      'create a customer shipper for the order in Plex (or grant the app the "Customer Shippers API" ' +
      'product if one exists), then retry',
  );
}

/**
 * The shipper as Plex holds it now, read after this call began: it joins the next batch read
 * (started at once when none is under way, else as soon as the one under way ends). A batch of one
 * reads `/customer-shippers/{id}`; a larger one lists by id. A shipper the list left out, or a batch
 * that failed, is read by id through the caller's own client, so one caller's cancellation or a list
 * that Plex answered without it cannot fail another's write-back.
 */
export function currentShipper(plex: ShipperWriter, id: string): Promise<PlexCustomerShipper> {
  const reads = plex.shared.shipperReads;
  const own = new Promise<PlexCustomerShipper | undefined>((resolve, reject) => {
    const waiter: ShipperWaiter = { resolve, reject, readMany: (ids) => plex.listCustomerShippersById(ids) };
    const list = reads.queued.get(id) ?? [];
    list.push(waiter);
    reads.queued.set(id, list);
  });
  if (!reads.flushing) scheduleFlush(plex.shared);
  return own.then(
    (found) => found ?? plex.getCustomerShipper(id),
    () => plex.getCustomerShipper(id),
  );
}

function scheduleFlush(shared: PlexSharedState): void {
  const reads = shared.shipperReads;
  reads.flushing = true;
  // One turn of the event loop gathers the write-backs that arrive together.
  setImmediate(() => {
    void flush(shared).finally(() => {
      reads.flushing = false;
      if (reads.queued.size > 0) scheduleFlush(shared);
    });
  });
}

async function flush(shared: PlexSharedState): Promise<void> {
  const reads = shared.shipperReads;
  const batch = new Map(reads.queued);
  reads.queued.clear();
  if (batch.size === 0) return;
  const ids = [...batch.keys()];
  // A lone shipper: each waiter reads it by id (undefined sends it there), the plain single read.
  if (ids.length === 1) {
    for (const w of batch.get(ids[0]!)!) w.resolve(undefined);
    return;
  }
  const first = batch.get(ids[0]!)![0]!;
  try {
    const found = new Map<string, PlexCustomerShipper>();
    for (const part of chunks(ids, IDS_PER_REQUEST)) {
      for (const s of await first.readMany(part)) found.set(s.id, s);
    }
    for (const [id, waiters] of batch) for (const w of waiters) w.resolve(found.get(id));
  } catch (err) {
    for (const waiters of batch.values()) for (const w of waiters) w.reject(err);
  }
}

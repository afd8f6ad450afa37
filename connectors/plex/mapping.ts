// Pure mapping between Plex Connect's shapes and the canonical model: Plex dates, the ready-state
// setting, open release quantities, the order version, Plex order -> ErpOrder, and the write-back
// bodies for the customer shipper. No I/O.

import { createHash } from 'node:crypto';
import { normalizeCountry } from '../../domain/country-names';
import type { CustomsFieldNames } from '../../domain/customs';
import type { Address, Money, WeightUnit } from '../../domain/model';
import type { ErpOrder, ErpOrderLine, StatusWriteBack, TrackingWriteBack } from '../../domain/order';
import type {
  PlexCustomer,
  PlexCustomerAddress,
  PlexCustomerShipper,
  PlexOrder,
  PlexOrderLine,
  PlexOrderLinePrice,
  PlexPart,
  PlexRelease,
  PlexShipperUpdate,
} from './wire';

// ------------------------------------------------------------------ dates

/**
 * Plex accepts `YYYY-MM-DDThh:mm[:ss[.fffffff]]Z` (UTC only; never a bare date or a local time).
 * The connector always sends whole seconds with Z. `floor` suits a range start, `ceil` a range end,
 * so rounding can only widen a window, never drop a record at its edge.
 */
export function formatPlexDate(value: Date | string, round: 'floor' | 'ceil' = 'floor'): string {
  const ms = typeof value === 'string' ? Date.parse(value) : value.getTime();
  if (!Number.isFinite(ms)) throw new RangeError(`not a date: ${String(value)}`);
  const seconds = round === 'floor' ? Math.floor(ms / 1000) : Math.ceil(ms / 1000);
  return new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A Plex timestamp as UTC ISO-8601; Plex sends UTC, a value without a zone is read as UTC. */
export function plexInstant(value: string | null | undefined): string | undefined {
  if (!value) return undefined;
  const zoned = /([zZ]|[+-]\d{2}:?\d{2})$/.test(value) ? value : `${value}Z`;
  const ms = Date.parse(zoned);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
}

/** YYYY-MM-DD (UTC) of a Plex timestamp. */
export function plexDay(value: string | null | undefined): string | undefined {
  return plexInstant(value)?.slice(0, 10);
}

// ------------------------------------------------------------------ ready state

/**
 * Which Plex state means "ready to ship", set per connection:
 * - `order`: a sales order in one of `statuses` (polled by the order's modified date);
 * - `release`: a release in one of `statuses` (polled by the release's modified date);
 * - `shipper`: a customer shipper in one of `statuses` without a tracking number (polled by the
 *   shipper's modified date).
 * Release and shipper modes find their orders among the orders in `orderStatuses`.
 */
export type PlexReadyState =
  | { kind: 'order'; statuses: string[] }
  | { kind: 'release'; statuses: string[]; orderStatuses: string[] }
  | { kind: 'shipper'; statuses: string[]; orderStatuses: string[] };

export const DEFAULT_READY_STATE: PlexReadyState = { kind: 'order', statuses: ['Open'] };

/**
 * Read the connection's `readyState` setting: "Open" (order status, the default kind),
 * "order:Open", "release:Firm,Planned", "shipper:Open" or "shipper:Open;orders=Open,Hold".
 */
export function parseReadyState(setting: string | undefined): PlexReadyState {
  const text = (setting ?? '').trim();
  if (text === '') return DEFAULT_READY_STATE;
  const m = /^(?:(order|release|shipper)\s*:)?\s*([^;]+?)\s*(?:;\s*orders\s*=\s*(.+))?$/i.exec(text);
  if (!m)
    throw new Error(`readyState "${text}" is not "<status>" or "order|release|shipper:<status>[,<status>]"`);
  const list = (s: string | undefined) =>
    (s ?? '')
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean);
  const kind = (m[1]?.toLowerCase() ?? 'order') as PlexReadyState['kind'];
  const statuses = list(m[2]);
  if (kind === 'order') return { kind, statuses };
  const orderStatuses = m[3] ? list(m[3]) : ['Open'];
  return { kind, statuses, orderStatuses };
}

// ------------------------------------------------------------------ releases and versions

/** Release states that hold nothing left to ship (compared case-insensitively). */
const CLOSED_RELEASE_STATUSES = new Set([
  'shipped',
  'closed',
  'canceled',
  'cancelled',
  'complete',
  'completed',
]);

function same(a: string | null | undefined, b: string | null | undefined): boolean {
  return (a ?? '').trim().toLowerCase() === (b ?? '').trim().toLowerCase();
}

export function statusIn(status: string | null | undefined, statuses: readonly string[]): boolean {
  return statuses.some((s) => same(s, status));
}

/** Quantity still to ship on a release: ordered minus shipped, never negative; 0 when closed. */
export function openQuantity(release: PlexRelease): number {
  if (CLOSED_RELEASE_STATUSES.has((release.status ?? '').trim().toLowerCase())) return 0;
  const open = (release.quantity ?? 0) - (release.quantityShipped ?? 0);
  return open > 0 ? open : 0;
}

export function openReleases(releases: PlexRelease[]): PlexRelease[] {
  return releases.filter((r) => openQuantity(r) > 0);
}

/**
 * What matters to a shipment, hashed: open quantities per release, ship-to address ids and the
 * ship-via. A note or a price change does not start the order again; a quantity change does.
 */
export function orderVersion(order: PlexOrder, releases: PlexRelease[]): string {
  const parts = openReleases(releases)
    .map((r) => [r.id, r.orderLineId ?? '', openQuantity(r), r.shipToAddressId ?? ''].join('|'))
    .sort();
  const material = JSON.stringify({
    shipTo: order.shipToAddressId ?? '',
    carrier: order.carrier ?? '',
    carrierId: order.carrierId ?? '',
    releases: parts,
  });
  return createHash('sha256').update(material).digest('hex').slice(0, 16);
}

// ------------------------------------------------------------------ order -> ErpOrder

const WEIGHT_UNITS: Record<string, { unit: WeightUnit; factor: number }> = {
  KG: { unit: 'KG', factor: 1 },
  KGS: { unit: 'KG', factor: 1 },
  KILOGRAM: { unit: 'KG', factor: 1 },
  KILOGRAMS: { unit: 'KG', factor: 1 },
  G: { unit: 'KG', factor: 0.001 },
  GRAM: { unit: 'KG', factor: 0.001 },
  GRAMS: { unit: 'KG', factor: 0.001 },
  LB: { unit: 'LB', factor: 1 },
  LBS: { unit: 'LB', factor: 1 },
  POUND: { unit: 'LB', factor: 1 },
  POUNDS: { unit: 'LB', factor: 1 },
  OZ: { unit: 'LB', factor: 1 / 16 },
  OUNCE: { unit: 'LB', factor: 1 / 16 },
  OUNCES: { unit: 'LB', factor: 1 / 16 },
};

/** A Plex piece weight in KG or LB; undefined when the value or the unit is unusable. */
export function unitWeight(part: PlexPart | undefined): ErpOrderLine['unitWeight'] {
  const w = part?.pieceWeight;
  if (!w || !Number.isFinite(w.value) || w.value <= 0) return undefined;
  const known = WEIGHT_UNITS[w.unit.trim().toUpperCase().replace(/\.$/, '')];
  if (!known) return undefined;
  return { value: w.value * known.factor, unit: known.unit };
}

/** A customer address as a canonical Address; the street field holds up to 3 lines. */
export function toAddress(address: PlexCustomerAddress, customer: PlexCustomer): Address {
  const lines = (address.address ?? '')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
  const name = address.name?.trim() || undefined;
  const company = customer.name?.trim() || undefined;
  return {
    ...(name ? { name } : {}),
    ...(company ? { company } : {}),
    lines,
    city: (address.city ?? '').trim(),
    ...(address.state?.trim() ? { stateOrProvince: address.state.trim().toUpperCase() } : {}),
    ...(address.zip?.trim() ? { postalCode: address.zip.trim().toUpperCase() } : {}),
    countryCode: normalizeCountry(address.country),
    ...((address.phone ?? customer.phone)?.trim()
      ? { phone: (address.phone ?? customer.phone)!.trim() }
      : {}),
    ...((address.email ?? customer.email)?.trim()
      ? { email: (address.email ?? customer.email)!.trim() }
      : {}),
  };
}

// ------------------------------------------------------------------ customs

/**
 * Where each customs value lives in Plex, so that a missing one parks the order with a reason that
 * names the record and the field to fill (domain/customs.ts words the message around these).
 */
export const PLEX_CUSTOMS_FIELDS: CustomsFieldNames = {
  hsCode: "the part's shipping details in Plex, Harmonized Tariff Code (harmonizedTariffCode)",
  // Plex Connect's part records carry no country of origin: the mapping's default fills it.
  countryOfManufacture: null,
  unitPrice: "the sales order line's price in Plex (the line's price records: price, currencyCode)",
  description: "the part's name or description in Plex (part master: name, description)",
};

/** An HS code as Plex keeps it, or undefined when the field is empty. */
export function hsCodeOf(details: { harmonizedTariffCode?: string | null } | undefined): string | undefined {
  const code = details?.harmonizedTariffCode?.trim();
  return code ? code : undefined;
}

/**
 * The price in effect for `quantity` of a line shipped on `day` (UTC ISO-8601) to `shipToId`, from
 * the line's price records: active ones whose dates cover the day and whose ship-to (when they name
 * one) is this one; of those, the highest quantity break the quantity reaches (a record without a
 * break applies from 1), then the primary price, then the latest effective date. `currency` when
 * the record names none. Undefined when no record applies or its price is missing.
 */
export function linePrice(
  records: PlexOrderLinePrice[],
  opts: { quantity: number; day: string; shipToId?: string; currency: string },
): Money | undefined {
  const at = Date.parse(opts.day);
  const time = (v: string | null | undefined) => {
    const iso = plexInstant(v);
    return iso ? Date.parse(iso) : undefined;
  };
  const usable = records.filter((r) => {
    if (r.active === false || typeof r.price !== 'number' || !Number.isFinite(r.price) || r.price < 0)
      return false;
    const from = time(r.effectiveDate);
    const until = time(r.expirationDate);
    if (from !== undefined && from > at) return false;
    if (until !== undefined && until <= at) return false;
    if (r.shipToAddressId && opts.shipToId && r.shipToAddressId !== opts.shipToId) return false;
    return (r.breakpointQuantity ?? 0) <= opts.quantity;
  });
  usable.sort(
    (a, b) =>
      (b.breakpointQuantity ?? 0) - (a.breakpointQuantity ?? 0) ||
      Number(b.primaryPrice === true) - Number(a.primaryPrice === true) ||
      (time(b.effectiveDate) ?? 0) - (time(a.effectiveDate) ?? 0),
  );
  const best = usable[0];
  if (!best) return undefined;
  const currency = best.currencyCode?.trim().toUpperCase() || opts.currency;
  return { amount: best.price!, currency };
}

export interface PlexOrderParts {
  connection: string;
  order: PlexOrder;
  lines: PlexOrderLine[];
  releases: PlexRelease[];
  customer: PlexCustomer;
  shipTo: PlexCustomerAddress;
  parts: PlexPart[];
  shipper?: PlexCustomerShipper;
  /**
   * Price records per line id, read only for orders that cross a border (client.ts). A line absent
   * here gets no price.
   */
  prices?: Map<string, PlexOrderLinePrice[]>;
  /** Currency of a price record that names none (the connection's `currency` setting). */
  currency?: string;
  /** UTC ISO-8601 "now", for the price records' dates. */
  now?: string;
}

/** Plex order + lines + releases + customer + address + parts -> the canonical ERP order. */
export function toErpOrder(p: PlexOrderParts): ErpOrder {
  const parts = new Map(p.parts.map((part) => [part.id, part]));
  const open = openReleases(p.releases);
  const lines: ErpOrderLine[] = [];
  for (const line of p.lines) {
    if (line.active === false) continue;
    const quantity = open
      .filter((r) => r.orderLineId === line.id)
      .reduce((sum, r) => sum + openQuantity(r), 0);
    if (quantity <= 0) continue;
    const part = line.partId ? parts.get(line.partId) : undefined;
    const sku = part?.number ?? line.partId ?? line.id;
    const weight = unitWeight(part);
    const description = part?.name ?? part?.description ?? undefined;
    const records = p.prices?.get(line.id);
    const price = records
      ? linePrice(records, {
          quantity,
          day: p.now ?? new Date(0).toISOString(),
          currency: p.currency ?? 'USD',
          ...(p.shipTo.id ? { shipToId: p.shipTo.id } : {}),
        })
      : undefined;
    lines.push({
      lineKey: line.id,
      sku,
      ...(description ? { description } : {}),
      quantity,
      ...(weight ? { unitWeight: weight } : {}),
      ...(price ? { unitPrice: price } : {}),
      ...(part?.hsCode ? { hsCode: part.hsCode } : {}),
    });
  }
  const shipDates = open.map((r) => plexDay(r.shipDate ?? r.dueDate)).filter((d): d is string => !!d);
  const requestedShipDate = shipDates.sort()[0];
  const order = p.order;
  return {
    connection: p.connection,
    orderKey: order.id,
    orderNumber: order.orderNumber ?? order.id,
    ...(order.poNumber ? { poNumber: order.poNumber } : {}),
    customer: {
      key: p.customer.id,
      ...(p.customer.code ? { code: p.customer.code } : {}),
      name: p.customer.name ?? p.customer.code ?? p.customer.id,
    },
    shipTo: toAddress(p.shipTo, p.customer),
    ...(order.carrier ? { shipVia: order.carrier } : {}),
    ...(order.buildingId ? { division: order.buildingId } : {}),
    ...(requestedShipDate ? { requestedShipDate } : {}),
    lines,
    customsFieldNames: PLEX_CUSTOMS_FIELDS,
    modifiedAt:
      plexInstant(order.modifiedDate) ?? plexInstant(order.createdDate) ?? new Date(0).toISOString(),
    version: orderVersion(order, p.releases),
    shipToRef: `${p.customer.id}/${p.shipTo.id}`,
    writeBackKeys: {
      orderId: order.id,
      customerId: p.customer.id,
      shipToAddressId: p.shipTo.id,
      ...(p.shipper ? { shipperId: p.shipper.id } : {}),
    },
  };
}

// ------------------------------------------------------------------ write-back

/**
 * Per-connection write-back settings. Plex keeps carriers as records (`carrierId` UUIDs) and shipper
 * statuses as tenant-defined text, so both are mapped, never guessed.
 */
export interface PlexWriteBackConfig {
  /** Carrier name as the workflow passes it ("fedex") -> Plex carrier id. */
  carrierIds?: Record<string, string>;
  /** Shipper status to set once tracking is written (e.g. "Shipped"); unchanged when absent. */
  shippedStatus?: string;
  /** Lifecycle status -> shipper status; statuses not listed leave the shipper status as it is. */
  statusMap?: Partial<Record<StatusWriteBack['status'], string>>;
}

/** The shipper note field's length is not documented; stay within a common 255-character limit. */
const NOTE_MAX = 255;

function note(text: string): string {
  return text.length > NOTE_MAX ? `${text.slice(0, NOTE_MAX - 1)}…` : text;
}

/** TrackingWriteBack -> the beta shipper PUT body: tracking number, carrier, ship date, freight. */
export function toShipperTrackingUpdate(
  wb: TrackingWriteBack,
  cfg: PlexWriteBackConfig = {},
): PlexShipperUpdate {
  const carrierId = cfg.carrierIds?.[wb.carrier];
  const pieces = wb.pieceTrackingNumbers.filter((n) => n !== wb.trackingNumber);
  return {
    trackingNumber: wb.trackingNumber,
    ...(carrierId ? { carrierId } : {}),
    ...(cfg.shippedStatus ? { status: cfg.shippedStatus } : {}),
    scheduledShipDate: `${wb.shipDate}T00:00:00Z`,
    ...(wb.cost ? { freightAmount: wb.cost.amount } : {}),
    shipperNote: note(
      `ml-connector: ${wb.carrier} ${wb.serviceType} tracking ${wb.trackingNumber}` +
        (pieces.length ? ` (+${pieces.length} pieces: ${pieces.join(' ')})` : '') +
        (wb.cost ? `, freight ${wb.cost.amount} ${wb.cost.currency}` : ''),
    ),
  };
}

/**
 * True when the shipper already shows every field of a status update: the write happened before
 * (an attempt whose answer was lost, a worker that died after the PUT), and sending it again would
 * be a second write of the same event. Dates compare as instants (Plex answers with milliseconds).
 */
export function shipperShowsUpdate(shipper: PlexCustomerShipper, update: PlexShipperUpdate): boolean {
  const sameInstant = (a: string | null | undefined, b: string) =>
    typeof a === 'string' && Date.parse(a) === Date.parse(b);
  if (update.status !== undefined && shipper.status !== update.status) return false;
  if (update.shipperNote !== undefined && shipper.shipperNote !== update.shipperNote) return false;
  if (update.deliveryDate !== undefined && !sameInstant(shipper.deliveryDateTime, update.deliveryDate)) {
    return false;
  }
  if (update.trackingNumber !== undefined && shipper.trackingNumber !== update.trackingNumber) return false;
  if (update.carrierId !== undefined && shipper.carrierId !== update.carrierId) return false;
  if (
    update.scheduledShipDate !== undefined &&
    !sameInstant(shipper.scheduledShipDate, update.scheduledShipDate)
  ) {
    return false;
  }
  // freightAmount is not in the read model: an update that sets it cannot be confirmed by a read.
  return update.freightAmount === undefined;
}

/**
 * StatusWriteBack -> the shipper PUT body. Plex's shipper has no delivery-status field, so the
 * lifecycle goes to `shipperNote` (latest event, time-stamped), `deliveryDate` on delivery, and the
 * shipper `status` only where the connection maps it.
 */
export function toShipperStatusUpdate(wb: StatusWriteBack, cfg: PlexWriteBackConfig = {}): PlexShipperUpdate {
  const status = cfg.statusMap?.[wb.status];
  const at = formatPlexDate(wb.at);
  return {
    ...(status ? { status } : {}),
    ...(wb.status === 'delivered' ? { deliveryDate: at } : {}),
    shipperNote: note(
      `ml-connector ${at}: ${wb.status}` +
        (wb.trackingNumber ? ` (${wb.trackingNumber})` : '') +
        (wb.description ? ` - ${wb.description}` : ''),
    ),
  };
}

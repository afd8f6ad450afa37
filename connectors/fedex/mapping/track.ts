// Track by tracking number: batches of numbers -> FedEx's track requests, and its answer -> one
// normalised update per number, with FedEx's per-number errors kept apart. Pure: callers pass `now`.

import type { TrackingError, TrackingUpdate } from '../../../domain/model';
import type { TrackingStatus } from '../../../domain/status';
import type { FedexScanLocation, FedexTrackRequest, FedexTrackResponse, FedexTrackResult } from '../wire';
import { fedexTimeToUtc } from './shared';

/** FedEx accepts at most 30 tracking numbers per Track request. */
export const TRACK_BATCH_SIZE = 30;

/**
 * FedEx status codes -> normalised status. Grouped as FedEx's reference guide groups them (ship,
 * in-transit, delivery, exception events); HL/HP (held for pickup) stay in transit because the
 * package has not reached the recipient.
 */
export const FEDEX_STATUS_TABLE: Readonly<Record<string, TrackingStatus>> = {
  OC: 'label_created',
  EP: 'label_created',
  DS: 'label_created',
  PU: 'picked_up',
  PX: 'picked_up',
  AP: 'picked_up',
  IT: 'in_transit',
  IX: 'in_transit',
  AR: 'in_transit',
  AF: 'in_transit',
  DP: 'in_transit',
  SF: 'in_transit',
  FD: 'in_transit',
  OF: 'in_transit',
  LO: 'in_transit',
  AA: 'in_transit',
  PL: 'in_transit',
  PF: 'in_transit',
  PM: 'in_transit',
  EA: 'in_transit',
  EO: 'in_transit',
  AC: 'in_transit',
  AX: 'in_transit',
  OX: 'in_transit',
  CC: 'in_transit',
  CP: 'in_transit',
  CH: 'in_transit',
  TR: 'in_transit',
  MD: 'in_transit',
  HL: 'in_transit',
  HP: 'in_transit',
  OD: 'out_for_delivery',
  ED: 'out_for_delivery',
  AD: 'out_for_delivery',
  DL: 'delivered',
  DE: 'exception',
  SE: 'exception',
  DD: 'exception',
  DY: 'exception',
  PD: 'exception',
  CD: 'exception',
  RS: 'returned',
  CA: 'cancelled',
};

export function normaliseFedexStatus(code: string | null | undefined): TrackingStatus | undefined {
  return code ? FEDEX_STATUS_TABLE[code.toUpperCase()] : undefined;
}

export function toFedexTrackRequests(trackingNumbers: string[]): FedexTrackRequest[] {
  const unique = [...new Set(trackingNumbers.map((t) => t.trim()).filter((t) => t))];
  const batches: FedexTrackRequest[] = [];
  for (let i = 0; i < unique.length; i += TRACK_BATCH_SIZE) {
    batches.push({
      // Detailed scans carry the event times; the latest status alone has none.
      includeDetailedScans: true,
      trackingInfo: unique
        .slice(i, i + TRACK_BATCH_SIZE)
        .map((trackingNumber) => ({ trackingNumberInfo: { trackingNumber } })),
    });
  }
  return batches;
}

/**
 * Text from FedEx as it may be stored and shown: control characters (a NUL cannot even be stored
 * in PostgreSQL) become spaces. Anything but a string is undefined.
 */
export function plainText(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  // eslint-disable-next-line no-control-regex -- removing control characters is the point
  return value.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
}

function formatLocation(loc: FedexScanLocation | null | undefined) {
  if (!loc) return undefined;
  const text = [loc.city, loc.stateOrProvinceCode, loc.countryCode].filter((s) => s && s.trim()).join(', ');
  return plainText(text) || undefined;
}

function dateOf(tr: FedexTrackResult, type: string): string | undefined {
  return fedexTimeToUtc(tr.dateAndTimes?.find((d) => d.type === type)?.dateTime);
}

function trackUpdate(tr: FedexTrackResult, trackingNumber: string, now: Date): TrackingUpdate {
  const latest = tr.latestStatusDetail ?? {};
  const scans = (tr.scanEvents ?? [])
    .map((s) => ({ ...s, utc: fedexTimeToUtc(s.date) }))
    .filter((s): s is typeof s & { utc: string } => !!s.utc)
    .sort((a, b) => b.utc.localeCompare(a.utc));
  const newest = scans[0];
  const rawCode = latest.code ?? latest.derivedCode ?? newest?.derivedStatusCode ?? newest?.eventType ?? '';
  const status =
    normaliseFedexStatus(latest.code) ??
    normaliseFedexStatus(latest.derivedCode) ??
    normaliseFedexStatus(newest?.derivedStatusCode) ??
    'in_transit';
  const eventTime =
    (status === 'delivered' ? dateOf(tr, 'ACTUAL_DELIVERY') : undefined) ??
    newest?.utc ??
    dateOf(tr, 'ACTUAL_PICKUP') ??
    dateOf(tr, 'SHIP') ??
    now.toISOString();
  const estimatedDelivery =
    dateOf(tr, 'ESTIMATED_DELIVERY') ??
    fedexTimeToUtc(tr.estimatedDeliveryTimeWindow?.window?.ends) ??
    fedexTimeToUtc(tr.estimatedDeliveryTimeWindow?.window?.begins);
  const location = formatLocation(latest.scanLocation) ?? formatLocation(newest?.scanLocation);
  return {
    trackingNumber,
    status,
    rawCode,
    description:
      [latest.description, latest.statusByLocale, newest?.eventDescription].map(plainText).find((d) => d) ??
      rawCode,
    ...(location ? { location } : {}),
    eventTime,
    ...(estimatedDelivery && status !== 'delivered' ? { estimatedDelivery } : {}),
  };
}

/**
 * Track response -> one update per tracking number, with per-number errors (e.g.
 * TRACKING.TRACKINGNUMBER.NOTFOUND, which FedEx reports on HTTP 200) kept apart. For a duplicated
 * number (several track results) the first one without an error wins.
 */
export function parseTrackResponse(
  body: FedexTrackResponse,
  opts: { now: Date },
): { updates: TrackingUpdate[]; errors: TrackingError[] } {
  const updates: TrackingUpdate[] = [];
  const errors: TrackingError[] = [];
  for (const complete of body.output?.completeTrackResults ?? []) {
    const results = complete.trackResults ?? [];
    const ok = results.find((r) => !r.error?.code);
    const trackingNumber = ok?.trackingNumberInfo?.trackingNumber || complete.trackingNumber || '';
    if (ok) {
      updates.push(trackUpdate(ok, trackingNumber, opts.now));
      continue;
    }
    const err = results[0]?.error;
    errors.push({
      trackingNumber: complete.trackingNumber || results[0]?.trackingNumberInfo?.trackingNumber || '',
      code: err?.code ?? 'TRACKING.NO.RESULT',
      message: err?.message ?? 'FedEx returned no track result for this number',
    });
  }
  return { updates, errors };
}

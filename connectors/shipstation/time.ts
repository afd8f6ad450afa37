// ShipStation V1 speaks US Pacific wall-clock time without an offset, both in its answers
// ("2015-08-17T09:24:14.7800000") and in the dates it expects in requests ("2016-11-29 23:59:59").
// Inside the connector time is UTC: these functions convert at the edge with the IANA zone
// America/Los_Angeles, so daylight saving is handled by the zone rules, not by a fixed -8 h.
//
// Daylight-saving edges (both tested):
// - The skipped hour (second Sunday of March, 02:00-02:59 does not exist): a wall time inside it is
//   read as if the clock had not been set forward yet, i.e. 02:30 becomes 03:30 PDT (10:30Z).
// - The repeated hour (first Sunday of November, 01:00-01:59 happens twice): a wall time inside it
//   maps to the EARLIER instant (the first pass, still PDT, UTC-7). Read as a poll watermark or a
//   window start, the earlier instant can only widen the window, never skip a change.

import { DateTime } from 'luxon';

export const SHIPSTATION_ZONE = 'America/Los_Angeles';

/** Wall-clock date-time, with `T` or a space, optional fraction (ShipStation sends up to 7 digits). */
const WALL_TIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?$/;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
/** An explicit offset or Z: the newer docs show request examples with one; honour it when present. */
const WITH_OFFSET = /(Z|[+-]\d{2}:?\d{2})$/i;

/**
 * A ShipStation V1 date-time as UTC ISO-8601 (`2026-11-20T18:04:05.780Z`). Offset-less values are
 * Pacific time; values that carry `Z` or an offset keep it. Throws RangeError on anything else.
 */
export function pacificToUtc(value: string): string {
  const text = value.trim();
  if (WITH_OFFSET.test(text)) {
    const dt = DateTime.fromISO(text, { setZone: true });
    if (!dt.isValid) throw new RangeError(`not a ShipStation date-time: ${JSON.stringify(value)}`);
    return dt.toUTC().toISO()!;
  }
  const m = WALL_TIME.exec(text);
  if (!m) throw new RangeError(`not a ShipStation date-time: ${JSON.stringify(value)}`);
  const fraction = (m[7] ?? '').padEnd(3, '0').slice(0, 3);
  const parts = {
    year: Number(m[1]),
    month: Number(m[2]),
    day: Number(m[3]),
    hour: Number(m[4]),
    minute: Number(m[5]),
    second: Number(m[6] ?? 0),
    millisecond: Number(fraction),
  };
  const dt = DateTime.fromObject(parts, { zone: SHIPSTATION_ZONE });
  if (!dt.isValid) throw new RangeError(`not a ShipStation date-time: ${JSON.stringify(value)}`);
  // In the repeated November hour luxon may pick either pass; take the earlier one on purpose.
  const candidates = dt.getPossibleOffsets().map((d) => d.toMillis());
  const earliest = Math.min(dt.toMillis(), ...candidates);
  return new Date(earliest).toISOString();
}

/**
 * A ShipStation date that may be date-only ("2014-10-03", shipDate) or a date-time. A bare date is a
 * calendar day, not an instant, so it is returned unchanged; a date-time becomes UTC ISO-8601.
 */
export function shipStationDateToUtc(value: string): string {
  const text = value.trim();
  return DATE_ONLY.test(text) ? text : pacificToUtc(text);
}

export type Rounding = 'floor' | 'ceil';

/**
 * An instant as the Pacific wall time V1 expects in requests: `yyyy-MM-dd HH:mm:ss`. V1 takes whole
 * seconds, so a window start is rounded down and a window end up: rounding only widens the window.
 */
export function utcToPacific(instant: Date | string, rounding: Rounding = 'floor'): string {
  const ms = typeof instant === 'string' ? Date.parse(instant) : instant.getTime();
  if (Number.isNaN(ms)) throw new RangeError(`not an instant: ${String(instant)}`);
  const whole = rounding === 'ceil' ? Math.ceil(ms / 1000) * 1000 : Math.floor(ms / 1000) * 1000;
  return DateTime.fromMillis(whole, { zone: SHIPSTATION_ZONE }).toFormat('yyyy-MM-dd HH:mm:ss');
}

/** A calendar day (YYYY-MM-DD) as the start of that day in V1's request format. */
export function dayToPacific(day: string): string {
  if (!DATE_ONLY.test(day) || !DateTime.fromISO(day).isValid) {
    throw new RangeError(`not a YYYY-MM-DD date: ${JSON.stringify(day)}`);
  }
  return `${day} 00:00:00`;
}

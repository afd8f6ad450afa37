import { DateTime } from 'luxon';

/** ShipStation V1 answers and takes dates in US Pacific time (PST/PDT) without an offset. */
export const PACIFIC = 'America/Los_Angeles';

/** `2015-08-17T09:24:14.7800000`: V1's response shape, 7 fractional digits and no offset. */
export function toV1DateTime(ms: number): string {
  return `${DateTime.fromMillis(ms, { zone: PACIFIC }).toFormat("yyyy-MM-dd'T'HH:mm:ss.SSS")}0000`;
}

/** `2015-07-02`: V1's date-only shape (shipDate), the Pacific calendar day. */
export function toV1Date(ms: number): string {
  return DateTime.fromMillis(ms, { zone: PACIFIC }).toFormat('yyyy-MM-dd');
}

/** ISO 8601 UTC with `Z`, as V2 answers. */
export function toV2DateTime(ms: number): string {
  return new Date(ms).toISOString();
}

const LOCAL = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?)?$/;

/**
 * A V1 date from a request: `yyyy-mm-dd hh:mm:ss`, `yyyy-mm-ddThh:mm:ss[.fffffff]` or `yyyy-mm-dd`
 * is Pacific wall-clock time. A value with `Z` or an offset is taken at its word (whether real V1
 * honours one is UNCONFIRMED). Returns epoch ms, or undefined when the value is not a date.
 */
export function parseV1Date(value: string): number | undefined {
  const text = value.trim();
  const m = LOCAL.exec(text);
  if (m) {
    const dt = DateTime.fromObject(
      {
        year: Number(m[1]),
        month: Number(m[2]),
        day: Number(m[3]),
        hour: Number(m[4] ?? 0),
        minute: Number(m[5] ?? 0),
        second: Number(m[6] ?? 0),
        millisecond: Number((m[7] ?? '0').padEnd(3, '0').slice(0, 3)),
      },
      { zone: PACIFIC },
    );
    return dt.isValid ? dt.toMillis() : undefined;
  }
  const withOffset = DateTime.fromISO(text, { setZone: true });
  return withOffset.isValid && /(?:Z|[+-]\d{2}:?\d{2})$/.test(text) ? withOffset.toMillis() : undefined;
}

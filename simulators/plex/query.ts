import { errors } from './errors';

/**
 * Plex's documented input date format: `YYYY-MM-DDThh:mm[:ss[.fffffff]]Z`, UTC only. A date without
 * a time, a time without the Z (or with an offset) and a space instead of the T are refused.
 */
const PLEX_DATE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?Z$/;

/** Epoch ms of a Plex input date, or undefined when it does not follow the documented format. */
export function parsePlexDate(value: string): number | undefined {
  const m = PLEX_DATE.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s = '00', frac = ''] = m;
  const ms = Number((frac + '000').slice(0, 3));
  const at = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), ms);
  const back = new Date(at);
  // Date.UTC rolls 2026-02-30 over to March; a real calendar date must survive the round trip.
  if (back.getUTCDate() !== Number(d) || back.getUTCHours() !== Number(h) || Number(s) > 59) return undefined;
  return at;
}

/** One documented query filter of a list endpoint. */
export type Filter<T> =
  /** Equality; a repeated key (`?status=a&status=b`) matches any of its values. */
  | { kind: 'eq'; param: string; field: keyof T }
  /** `<name>Begin` / `<name>End` on a date field, both inclusive. */
  | { kind: 'range'; begin: string; end: string; field: keyof T }
  | { kind: 'bool'; param: string; field: keyof T };

export const eq = <T>(param: string, field: keyof T = param as keyof T): Filter<T> => ({
  kind: 'eq',
  param,
  field,
});
export const range = <T>(prefix: string, field: keyof T = prefix as keyof T): Filter<T> => ({
  kind: 'range',
  begin: `${prefix}Begin`,
  end: `${prefix}End`,
  field,
});
export const bool = <T>(param: string, field: keyof T = param as keyof T): Filter<T> => ({
  kind: 'bool',
  param,
  field,
});

/**
 * Filter `records` by the documented parameters present in `query`. Parameters the endpoint does
 * not document are ignored, as Plex does (so `?limit=1` still returns everything). Malformed values
 * of documented date and boolean parameters are a 400.
 */
export function applyFilters<T extends object>(
  records: T[],
  query: URLSearchParams,
  filters: Filter<T>[],
): T[] {
  const tests: ((r: T) => boolean)[] = [];
  const problems: { code: string; message: string }[] = [];
  for (const f of filters) {
    if (f.kind === 'eq') {
      const wanted = query.getAll(f.param);
      if (wanted.length > 0) tests.push((r) => wanted.includes(String(r[f.field] ?? '')));
    } else if (f.kind === 'bool') {
      const raw = query.get(f.param);
      if (raw === null) continue;
      if (raw !== 'true' && raw !== 'false') {
        problems.push({ code: 'INVALID_BOOLEAN', message: `${f.param} must be true or false.` });
        continue;
      }
      tests.push((r) => r[f.field] === (raw === 'true'));
    } else {
      const bounds: (number | undefined)[] = [];
      for (const name of [f.begin, f.end]) {
        const raw = query.get(name);
        if (raw === null) {
          bounds.push(undefined);
          continue;
        }
        const at = parsePlexDate(raw);
        if (at === undefined) {
          problems.push({
            code: 'INVALID_DATE_FORMAT',
            message: `${name} must be a UTC date and time in the format YYYY-MM-DDThh:mm[:ss[.fffffff]]Z.`,
          });
        }
        bounds.push(at);
      }
      const [begin, end] = bounds;
      if (begin === undefined && end === undefined) continue;
      tests.push((r) => {
        const value = r[f.field];
        if (typeof value !== 'string') return false;
        const at = Date.parse(value);
        return (begin === undefined || at >= begin) && (end === undefined || at <= end);
      });
    }
  }
  if (problems.length > 0) throw errors.validation(problems);
  return records.filter((r) => tests.every((t) => t(r)));
}

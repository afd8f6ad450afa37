import { v1Errors } from './errors';
import { parseV1Date } from './time';

/**
 * V1 query parameters. ASP.NET binds them case-insensitively, which is why webhook resource URLs
 * can say `storeID` where the docs say `storeId`.
 */
export class V1Query {
  private readonly values = new Map<string, string>();

  constructor(params: URLSearchParams) {
    for (const [k, v] of params) if (!this.values.has(k.toLowerCase())) this.values.set(k.toLowerCase(), v);
  }

  str(name: string): string | undefined {
    const v = this.values.get(name.toLowerCase());
    return v === undefined || v === '' ? undefined : v;
  }

  int(name: string): number | undefined {
    const v = this.str(name);
    if (v === undefined) return undefined;
    if (!/^-?\d+$/.test(v)) throw v1Errors.invalid(name, [`The value '${v}' is not valid for ${name}.`]);
    return Number(v);
  }

  bool(name: string): boolean | undefined {
    const v = this.str(name)?.toLowerCase();
    if (v === undefined) return undefined;
    if (v !== 'true' && v !== 'false')
      throw v1Errors.invalid(name, [`The value '${v}' is not valid for ${name}.`]);
    return v === 'true';
  }

  /** A Pacific-time date filter as epoch ms. */
  date(name: string): number | undefined {
    const v = this.str(name);
    if (v === undefined) return undefined;
    const ms = parseV1Date(v);
    if (ms === undefined) throw v1Errors.invalid(name, [`The value '${v}' is not valid for ${name}.`]);
    return ms;
  }

  /** Inclusive range check for a `<prefix>Start` / `<prefix>End` pair (inclusivity is UNCONFIRMED in V1). */
  range(prefix: string): (ms: number | null) => boolean {
    const start = this.date(`${prefix}Start`);
    const end = this.date(`${prefix}End`);
    return (ms) => {
      if (start === undefined && end === undefined) return true;
      if (ms === null) return false;
      return (start === undefined || ms >= start) && (end === undefined || ms <= end);
    };
  }

  /** page (default 1) and pageSize (default 100, at most 500). */
  paging(): { page: number; pageSize: number } {
    const page = this.int('page') ?? 1;
    const pageSize = this.int('pageSize') ?? 100;
    if (page < 1) throw v1Errors.invalid('page', ['page must be 1 or more.']);
    if (pageSize < 1 || pageSize > 500)
      throw v1Errors.invalid('pageSize', ['Requested page size. Max value is 500.']);
    return { page, pageSize };
  }

  sortDir(): 1 | -1 {
    const dir = this.str('sortDir')?.toUpperCase();
    if (dir !== undefined && dir !== 'ASC' && dir !== 'DESC')
      throw v1Errors.invalid('sortDir', ['sortDir must be ASC or DESC.']);
    return dir === 'DESC' ? -1 : 1;
  }
}

/** V1's paging envelope: `{<collection>: [...], total, page, pages}` with pages = ceil(total / pageSize). */
export function v1Page<T>(key: string, all: T[], page: number, pageSize: number, render: (t: T) => unknown) {
  const slice = all.slice((page - 1) * pageSize, page * pageSize);
  return { [key]: slice.map(render), total: all.length, page, pages: Math.ceil(all.length / pageSize) };
}

/** Sort by a numeric key, then by id so equal keys keep a stable order. */
export function sortBy<T>(list: T[], key: (t: T) => number | null, id: (t: T) => number, dir: 1 | -1): T[] {
  return [...list].sort((a, b) => ((key(a) ?? 0) - (key(b) ?? 0) || id(a) - id(b)) * dir);
}

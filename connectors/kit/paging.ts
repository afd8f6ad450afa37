// Paging helpers for the list styles the ERP connectors read: OData v2 (`d.results` + `d.__next`),
// OData v4 (`value` + `@odata.nextLink`, or `$top/$skip` where a service sends no next link), GraphQL
// Relay cursors (`first/after` + `pageInfo`) and SData (`$resources` + `$links.$next.$url`). Each is
// an async generator that yields one page of records at a time. The caller injects its own HTTP call
// (auth, rate limits and errors all go through the kit's call path), so this file does no I/O, knows
// no system and is Temporal-free.
//
// Pages are read strictly one after another: the next page is fetched only when the caller asks for
// it, after the previous one arrived. Systems warn that parallel paging returns duplicate or missing
// rows (Exact Online's OData notes), and every page spends the same per-connection API budget.
//
// Every style shares the guards of `Walk` below: a next link must stay on the origin of the first
// request (the connection's credentials go with every request), a link or cursor seen before is a
// loop, maxPages/maxRecords bound a listing, and the AbortSignal is checked between pages.
//
//   for await (const orders of odataV2Pages(firstUrl, (url) => client.getJson(url), { maxPages: 500 })) {
//     ...
//   }
//
// To read only the first few pages, `break` out of the loop: nothing more is fetched.

import { z } from 'zod';
import { ConnectorError, type ConnectorErrorInit, type ErrorDetail } from './errors';

/** A record as it came, when the caller gives no schema of its own: any JSON object. */
export type JsonRecord = Record<string, unknown>;

/**
 * The caller's GET of one page: an absolute URL in, the parsed JSON body out. It throws the kit's
 * errors for failed calls; the signal is the listing's, for a caller that wants to stop mid-call.
 */
export type FetchJson = (url: string, signal?: AbortSignal) => Promise<unknown>;

export interface PagingOptions {
  /**
   * The most pages this listing may have. Reading stops with a PagingError before page maxPages + 1
   * is fetched: a safety net against a listing that never ends, not a way to read "the first N".
   */
  maxPages?: number;
  /** The most records this listing may have; a page that takes the count past it is a PagingError. */
  maxRecords?: number;
  /** Checked before every fetch and after every page: an aborted listing fetches nothing more. */
  signal?: AbortSignal;
}

export interface RecordOptions<T> extends PagingOptions {
  /**
   * The zod wire schema of one record. Every record of every page is validated with it, so a field
   * of the wrong type fails here with its name. Default: any JSON object.
   */
  record?: z.ZodType<T>;
}

/** What a guard refused: a link to another host, a loop, or a listing larger than its bound. */
export type PagingRefusal = 'foreign_origin' | 'loop' | 'bound';

/**
 * A listing our guards refused to read on. Not retryable: the same listing is refused again, and
 * reading it again would spend the connection's API budget for nothing. `reason` says which guard.
 */
export class PagingError extends ConnectorError {
  readonly kind = 'validation';
  readonly reason: PagingRefusal;

  constructor(reason: PagingRefusal, message: string, init: ConnectorErrorInit = {}) {
    super(message, init);
    this.reason = reason;
  }
}

/**
 * A page without its style's shape (no records array, a next link that is not a string, a record
 * of the wrong type). Kind `unavailable` like every unreadable answer in the kit: a maintenance page
 * passes by itself, and a changed API still reaches a person once the retries run out.
 */
export class MalformedPageError extends ConnectorError {
  readonly kind = 'unavailable';
}

/** Where a page sits, for messages: the style, the page number and the URL without its query. */
interface PageAt {
  style: string;
  page: number;
  where: string;
}

const ANY_RECORD = z.record(z.string(), z.unknown());

/** An absent next link means the last page; null is read the same way, an empty string is not. */
const NEXT_LINK = z.string().min(1).nullish();

// ---------------------------------------------------------------------------------------------
// The styles

/**
 * OData v2 (Exact Online): `{ d: { results: [...], __next: "<url>" } }`, `__next` absent on the
 * last page. Exact's pages hold 60 records, 1000 on its bulk and sync endpoints.
 */
export function odataV2Pages<T = JsonRecord>(
  first: string,
  fetchJson: FetchJson,
  options: RecordOptions<T> = {},
): AsyncGenerator<T[], void, undefined> {
  const schema = z.object({ d: z.object({ results: z.array(recordSchema(options)), __next: NEXT_LINK }) });
  const walk = new Walk('OData v2', options, new URL(first).origin);
  return followLinks(walk, first, fetchJson, (body, at) => {
    const { d } = parsePage(schema, body, at);
    return { records: d.results, next: d.__next, nextField: 'd.__next' };
  });
}

/** OData v4 (IFS Cloud): `{ value: [...], "@odata.nextLink": "<url>" }`, the link absent on the last page. */
export function odataV4Pages<T = JsonRecord>(
  first: string,
  fetchJson: FetchJson,
  options: RecordOptions<T> = {},
): AsyncGenerator<T[], void, undefined> {
  const walk = new Walk('OData v4', options, new URL(first).origin);
  return followLinks(walk, first, fetchJson, odataV4Reader(options));
}

/**
 * OData v4 read in `$top/$skip` windows, for services that send no next link (IFS documents
 * `$top/$skip`; its `@odata.nextLink` is only observed). `base` is the query without `$top` and
 * `$skip`; each window adds `$top=pageSize&$skip=n`, and a window shorter than pageSize is the last.
 *
 * Where a window does carry `@odata.nextLink` (a server capping pages below `$top`), it is followed
 * to the window's end first: stopping at that short first page would lose the rest of the window.
 */
export function odataV4SkipPages<T = JsonRecord>(
  base: string,
  fetchJson: FetchJson,
  options: RecordOptions<T> & { pageSize: number },
): AsyncGenerator<T[], void, undefined> {
  // Arguments are checked here, when the listing is created, not at its first page.
  requireCount('pageSize', options.pageSize);
  if (/[?&]\$(top|skip)=/i.test(base)) {
    throw new TypeError(`odataV4SkipPages adds $top and $skip itself; pass the query without them: ${base}`);
  }
  const walk = new Walk('OData v4 $top/$skip', options, new URL(base).origin);
  return readWindows(walk, base, fetchJson, odataV4Reader(options), options.pageSize);
}

async function* readWindows<T>(
  walk: Walk,
  base: string,
  fetchJson: FetchJson,
  read: ReadPage<T>,
  pageSize: number,
): AsyncGenerator<T[], void, undefined> {
  let previousFirstPage: string | undefined;
  for (let skip = 0; ; skip += pageSize) {
    let inWindow = 0;
    let firstPage = true;
    for await (const records of followLinks(walk, withTopSkip(base, pageSize, skip), fetchJson, read)) {
      if (firstPage && records.length > 0) {
        // A service that ignores $skip answers the first window again and again under new URLs,
        // which the link guard cannot see; the same records at another offset give it away.
        const seen = JSON.stringify(records);
        if (seen === previousFirstPage) {
          throw new PagingError(
            'loop',
            `${walk.style} listing ${describe(new URL(base))} answered the same records at $skip=${skip} as at $skip=${skip - pageSize}: the service ignores $skip`,
            {
              action:
                'Read this entity set with odataV4Pages (server paging) or add an $orderby the service pages by.',
            },
          );
        }
        previousFirstPage = seen;
      }
      firstPage = false;
      inWindow += records.length;
      yield records;
    }
    // Only a full window can have more after it. A longer one means the server ignored $top and
    // its next links already took us to the end.
    if (inWindow !== pageSize) return;
  }
}

export interface RelayOptions<T> extends RecordOptions<T> {
  /** Records per page, sent as the `first` variable. */
  pageSize: number;
  /** Where the connection sits under `data`, e.g. `['x3Sales', 'salesDelivery', 'query']`. */
  path: readonly string[];
}

/** The variables of one Relay page; the caller's query declares them (`$first: Int!, $after: String`). */
export interface RelayVariables {
  first: number;
  /** null on the first page, then the previous page's `pageInfo.endCursor`. */
  after: string | null;
}

/**
 * The caller's POST of the GraphQL query with these variables, returning the answer's body as it
 * came (`{ data, errors? }`). It throws on a GraphQL `errors` answer: the system's refusal is the
 * caller's to classify.
 */
export type FetchRelayPage = (variables: RelayVariables, signal?: AbortSignal) => Promise<unknown>;

/**
 * GraphQL Relay cursors (Sage X3, ShipStation/ShipEngine): `first/after` variables, a connection
 * with `edges { node }` (or `nodes`) and `pageInfo { hasNextPage endCursor }`.
 */
export function relayPages<T = JsonRecord>(
  fetchPage: FetchRelayPage,
  options: RelayOptions<T>,
): AsyncGenerator<T[], void, undefined> {
  requireCount('pageSize', options.pageSize);
  const record = recordSchema(options);
  const connection = z
    .object({
      edges: z.array(z.object({ node: record })).optional(),
      nodes: z.array(record).optional(),
      pageInfo: z.object({ hasNextPage: z.boolean(), endCursor: z.string().nullish() }),
    })
    .refine((c) => c.edges !== undefined || c.nodes !== undefined, {
      message: 'expected an edges or a nodes array',
      path: ['edges'],
    })
    .refine((c) => !c.pageInfo.hasNextPage || Boolean(c.pageInfo.endCursor), {
      message: 'expected a cursor, since hasNextPage is true',
      path: ['pageInfo', 'endCursor'],
    });
  // The connection nested under `data` along the caller's path, so a missing level is named too.
  const schema = z.object({
    data: options.path.reduceRight<z.ZodType>((inner, key) => z.object({ [key]: inner }), connection),
  });
  const read: ReadPage<T> = (body, at) => {
    const parsed = parsePage(schema, body, at, firstGraphqlError);
    // The schema above checked every level of the path, so this walk down it cannot miss.
    const page = options.path.reduce<unknown>(
      (node, key) => (node as JsonRecord)[key],
      parsed.data,
    ) as z.output<typeof connection>;
    return {
      records: page.edges ? page.edges.map((e) => e.node) : (page.nodes ?? []),
      next: page.pageInfo.hasNextPage ? page.pageInfo.endCursor : undefined,
      nextField: `${at.where}.pageInfo.endCursor`,
    };
  };
  const walk = new Walk('GraphQL Relay', options);
  return followCursors(walk, fetchPage, options.pageSize, ['data', ...options.path].join('.'), read);
}

/**
 * SData (Sage X3 classic REST, api1): `{ $resources: [...], $links: { $next: { $url: "<url>" } } }`,
 * `$next` absent on the last page. An empty result is a 200 with an empty `$resources`.
 */
export function sdataPages<T = JsonRecord>(
  first: string,
  fetchJson: FetchJson,
  options: RecordOptions<T> = {},
): AsyncGenerator<T[], void, undefined> {
  const schema = z.object({
    $resources: z.array(recordSchema(options)),
    $links: z.object({ $next: z.object({ $url: NEXT_LINK }).nullish() }).nullish(),
  });
  const walk = new Walk('SData', options, new URL(first).origin);
  return followLinks(walk, first, fetchJson, (body, at) => {
    const page = parsePage(schema, body, at);
    return { records: page.$resources, next: page.$links?.$next?.$url, nextField: '$links.$next.$url' };
  });
}

/** Every record of a listing in one array, for callers that want it whole. */
export async function readAll<T>(pages: AsyncIterable<T[]>): Promise<T[]> {
  const all: T[] = [];
  for await (const page of pages) for (const record of page) all.push(record);
  return all;
}

// ---------------------------------------------------------------------------------------------
// The common core

/** One page as a style reads it: the records, the next link or cursor if any, and its field. */
interface StylePage<T> {
  records: T[];
  next: string | null | undefined;
  nextField: string;
}

type ReadPage<T> = (body: unknown, at: PageAt) => StylePage<T>;

function odataV4Reader<T>(options: RecordOptions<T>): ReadPage<T> {
  const schema = z.object({ value: z.array(recordSchema(options)), '@odata.nextLink': NEXT_LINK });
  return (body, at) => {
    const page = parsePage(schema, body, at);
    return { records: page.value, next: page['@odata.nextLink'], nextField: '@odata.nextLink' };
  };
}

/**
 * Fetches `first`, then each next link, until a page has none. A page is accepted whole or not at
 * all: its envelope, its records and its next link are checked before it is yielded.
 */
async function* followLinks<T>(
  walk: Walk,
  first: string,
  fetchJson: FetchJson,
  read: ReadPage<T>,
): AsyncGenerator<T[], void, undefined> {
  let url = new URL(first);
  walk.visit(url.href, describe(url), walk.at(describe(url)));
  for (;;) {
    walk.beforeFetch(describe(url));
    const body = await fetchJson(url.href, walk.signal);
    const at = walk.at(describe(url));
    const page = read(body, at);
    const next = page.next ? walk.follow(page.next, url, page.nextField, at) : undefined;
    walk.arrived(page.records.length, describe(url));
    yield page.records;
    if (!next) return;
    url = next;
  }
}

/** Fetches the first page, then the page after each `endCursor`, until a page has no next one. */
async function* followCursors<T>(
  walk: Walk,
  fetchPage: FetchRelayPage,
  pageSize: number,
  where: string,
  read: ReadPage<T>,
): AsyncGenerator<T[], void, undefined> {
  let after: string | null = null;
  for (;;) {
    walk.beforeFetch(where);
    const body = await fetchPage({ first: pageSize, after }, walk.signal);
    const at = walk.at(where);
    const page = read(body, at);
    if (page.next) walk.visit(page.next, `${page.nextField} ${JSON.stringify(page.next)}`, at);
    walk.arrived(page.records.length, where);
    yield page.records;
    if (!page.next) return;
    after = page.next;
  }
}

/** One listing's progress, and the guards every style applies between its pages. */
class Walk {
  private pages = 0;
  private records = 0;
  private readonly seen = new Set<string>();

  constructor(
    readonly style: string,
    private readonly options: PagingOptions,
    /** The first request's origin; next links must stay on it. Unset for cursor styles. */
    private readonly origin?: string,
  ) {
    if (options.maxPages !== undefined) requireCount('maxPages', options.maxPages);
    if (options.maxRecords !== undefined) requireCount('maxRecords', options.maxRecords);
  }

  get signal(): AbortSignal | undefined {
    return this.options.signal;
  }

  /** The page about to be read, for messages. */
  at(where: string): PageAt {
    return { style: this.style, page: this.pages + 1, where };
  }

  /** Before every fetch: cancellation, then the page bound. */
  beforeFetch(where: string): void {
    this.options.signal?.throwIfAborted();
    const { maxPages } = this.options;
    if (maxPages !== undefined && this.pages >= maxPages) {
      throw new PagingError(
        'bound',
        `${this.style} listing ${where} has more than ${maxPages} pages (maxPages)`,
        {
          action: `Narrow the query (a date or status filter) or raise maxPages; nothing after page ${maxPages} was read.`,
        },
      );
    }
  }

  /** After every page, before it is yielded: cancellation during the call, then the record bound. */
  arrived(count: number, where: string): void {
    this.options.signal?.throwIfAborted();
    this.pages += 1;
    this.records += count;
    const { maxRecords } = this.options;
    if (maxRecords !== undefined && this.records > maxRecords) {
      throw new PagingError(
        'bound',
        `${this.style} listing ${where} has more than ${maxRecords} records (maxRecords) by page ${this.pages}`,
        { action: 'Narrow the query (a date or status filter) or raise maxRecords.' },
      );
    }
  }

  /** A link or cursor about to be followed. One seen before would read the same pages forever. */
  visit(key: string, what: string, at: PageAt): void {
    if (this.seen.has(key)) {
      throw new PagingError(
        'loop',
        `${this.style} page ${at.page} from ${at.where} leads back to ${what}, already read: the listing loops`,
        { action: "The listing cannot be read to its end; report the system's paging loop to its vendor." },
      );
    }
    this.seen.add(key);
  }

  /** The next page's URL: the link resolved against the page it came from, on the first origin. */
  follow(link: string, from: URL, field: string, at: PageAt): URL {
    let next: URL;
    try {
      next = new URL(link, from);
    } catch {
      throw malformed(at, [{ code: 'invalid_url', field, message: 'not a URL' }]);
    }
    // Origin covers scheme, host and port: an https listing cannot be led to http either.
    if (this.origin !== undefined && next.origin !== this.origin) {
      throw new PagingError(
        'foreign_origin',
        `${this.style} page ${at.page} from ${at.where} links its next page to ${next.origin}, not ${this.origin} where the listing started; it was not fetched, so the connection's credentials did not go there`,
        {
          action:
            "Check that the connection's base URL is the host the system links to (a proxy or renamed host answers with its own address); if it is, report the link to the system's vendor.",
        },
      );
    }
    this.visit(next.href, `${describe(next)} (${field})`, at);
    return next;
  }
}

/** The page's body through its style's schema, or a MalformedPageError naming the first bad field. */
function parsePage<S extends z.ZodType>(
  schema: S,
  body: unknown,
  at: PageAt,
  /** More to say about a body that failed, e.g. the GraphQL error that came instead of data. */
  explain?: (body: unknown) => string | undefined,
): z.output<S> {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const details = result.error.issues.map((issue) => ({
    code: issue.code,
    field: fieldName(issue.path),
    message: issue.message,
  }));
  throw malformed(at, details, explain?.(body));
}

function malformed(at: PageAt, details: ErrorDetail[], note?: string): MalformedPageError {
  const first = details[0];
  const problem = first ? `${first.field ?? 'the answer'}: ${first.message}` : 'unreadable';
  const more = details.length > 1 ? ` (and ${details.length - 1} more)` : '';
  return new MalformedPageError(
    `${at.style} page ${at.page} from ${at.where} is malformed: ${problem}${more}${note ? `; ${note}` : ''}`,
    {
      details,
      action:
        "Check that the connection's base URL points at the API (not a login or maintenance page) and that the system runs the API version this connector reads.",
    },
  );
}

/** `d.results[3].OrderNumber` from zod's `['d', 'results', 3, 'OrderNumber']`; none for the body itself. */
function fieldName(path: readonly PropertyKey[]): string | undefined {
  if (path.length === 0) return undefined;
  return path.reduce<string>((out, key) => {
    if (typeof key === 'number') return `${out}[${key}]`;
    return out ? `${out}.${String(key)}` : String(key);
  }, '');
}

/** A GraphQL answer's first error, to say why the connection is missing. */
function firstGraphqlError(body: unknown): string | undefined {
  const parsed = z.object({ errors: z.array(z.object({ message: z.string() })).min(1) }).safeParse(body);
  return parsed.success ? `the answer's first GraphQL error: ${parsed.data.errors[0]?.message}` : undefined;
}

function recordSchema<T>(options: RecordOptions<T>): z.ZodType<T> {
  // Without a schema of the caller's, T is its default, JsonRecord; TypeScript cannot see that link.
  return (options.record ?? ANY_RECORD) as z.ZodType<T>;
}

/**
 * `base` with `$top` and `$skip` appended as written. Not through URLSearchParams: that would
 * form-encode the whole query (`$filter=Status eq 12` as `Status+eq+12`, `$top` as `%24top`), which
 * OData services need not read back. The URL parser's own `%20` for a space is what fetch sends anyway.
 */
function withTopSkip(base: string, top: number, skip: number): string {
  return `${base}${base.includes('?') ? '&' : '?'}$top=${top}&$skip=${skip}`;
}

/** A URL for messages: origin and path, without a query that may be long or carry data. */
function describe(url: URL): string {
  return `${url.origin}${url.pathname}`;
}

function requireCount(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1)
    throw new RangeError(`${name} must be a whole number from 1, not ${value}`);
}

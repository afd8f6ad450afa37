// The kit's paging helpers (connectors/kit/paging.ts) against in-memory pages: a fake fetch that
// answers from a map and counts how many calls are in flight at once. No HTTP, no clock.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import {
  MalformedPageError,
  odataV2Pages,
  odataV4Pages,
  odataV4SkipPages,
  PagingError,
  readAll,
  relayPages,
  sdataPages,
  type RelayVariables,
} from '../../connectors/kit/paging';

const EXACT = 'https://start.exactonline.nl/api/v1/123/salesorder/SalesOrders';
const IFS =
  'https://ifs.example.com/main/ifsapplications/projection/v1/CustomerOrderHandling.svc/CustomerOrderSet';
const X3 = 'https://x3.example.com/api1/x3/erp/SEED/SORDER';

/** Two records per page, numbered across pages: page 0 holds 1 and 2, page 1 holds 3 and 4. */
const recs = (page: number, size = 2) =>
  Array.from({ length: size }, (_, i) => ({ id: page * size + i + 1 }));

/** Lets other promises run, so overlapping calls (if any) would be in flight together. */
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * A fake of the caller's GET: answers each URL from `pages`, records the URLs asked for and the
 * most calls in flight at once. An unknown URL fails the test loudly.
 */
function fakeFetch(pages: Record<string, unknown>) {
  const calls: string[] = [];
  let inFlight = 0;
  let peak = 0;
  const fetchJson = async (url: string) => {
    calls.push(url);
    inFlight++;
    peak = Math.max(peak, inFlight);
    await tick();
    await tick();
    inFlight--;
    if (!(url in pages)) throw new Error(`test fetched an unexpected URL: ${url}`);
    return pages[url];
  };
  return { fetchJson, calls, peak: () => peak };
}

/** Three linked pages in a link style, built by `page(records, next)`. */
function threeLinked(first: string, page: (records: unknown[], next?: string) => unknown) {
  return {
    [first]: page(recs(0), `${first}?$skiptoken=2`),
    [`${first}?$skiptoken=2`]: page(recs(1), `${first}?$skiptoken=4`),
    [`${first}?$skiptoken=4`]: page(recs(2)),
  };
}

const v2 = (results: unknown[], next?: string) => ({ d: { results, ...(next ? { __next: next } : {}) } });
const v4 = (value: unknown[], next?: string) => ({
  '@odata.context': 'x',
  value,
  ...(next ? { '@odata.nextLink': next } : {}),
});
const sdata = (resources: unknown[], next?: string) => ({
  $itemsPerPage: 2,
  $resources: resources,
  $links: next ? { $next: { $url: next } } : {},
});

/** The `id`s of a page of test records. */
const ids = (records: readonly unknown[]) => records.map((r) => (r as { id?: unknown }).id);

describe('paging: each style across three pages', () => {
  const linkStyles = [
    { name: 'OData v2', first: EXACT, page: v2, pages: odataV2Pages },
    { name: 'OData v4', first: IFS, page: v4, pages: odataV4Pages },
    { name: 'SData', first: X3, page: sdata, pages: sdataPages },
  ];

  for (const style of linkStyles) {
    it(`${style.name} follows next links to the last page, in order, and stops where the link is absent`, async () => {
      const fake = fakeFetch(threeLinked(style.first, style.page));
      const seen: number[][] = [];
      for await (const page of style.pages(style.first, fake.fetchJson)) seen.push(ids(page) as number[]);
      assert.deepEqual(seen, [
        [1, 2],
        [3, 4],
        [5, 6],
      ]);
      assert.deepEqual(fake.calls, [
        style.first,
        `${style.first}?$skiptoken=2`,
        `${style.first}?$skiptoken=4`,
      ]);
    });

    it(`${style.name} reads a single empty page as an empty listing`, async () => {
      const fake = fakeFetch({ [style.first]: style.page([]) });
      assert.deepEqual(await readAll(style.pages(style.first, fake.fetchJson)), []);
      assert.equal(fake.calls.length, 1);
    });
  }

  it('OData v2 reads a null __next as the last page', async () => {
    const fake = fakeFetch({ [EXACT]: { d: { results: recs(0), __next: null } } });
    assert.deepEqual(ids(await readAll(odataV2Pages(EXACT, fake.fetchJson))), [1, 2]);
  });

  it('SData reads a page without $links as the last page', async () => {
    const fake = fakeFetch({ [X3]: { $resources: recs(0) } });
    assert.deepEqual(ids(await readAll(sdataPages(X3, fake.fetchJson))), [1, 2]);
  });

  it('resolves a relative next link against the URL of the page it came from', async () => {
    const fake = fakeFetch({
      [EXACT]: v2(recs(0), 'SalesOrders?$skiptoken=2'),
      'https://start.exactonline.nl/api/v1/123/salesorder/SalesOrders?$skiptoken=2': v2(
        recs(1),
        '/api/v1/123/salesorder/SalesOrders?$skiptoken=4',
      ),
      'https://start.exactonline.nl/api/v1/123/salesorder/SalesOrders?$skiptoken=4': v2(recs(2)),
    });
    assert.deepEqual(ids(await readAll(odataV2Pages(EXACT, fake.fetchJson))), [1, 2, 3, 4, 5, 6]);
  });

  it('validates each record with the caller’s schema and yields its output', async () => {
    const fake = fakeFetch(
      threeLinked(EXACT, (records, next) =>
        v2(
          records.map((r) => ({ OrderNumber: (r as { id: number }).id, Extra: 'x' })),
          next,
        ),
      ),
    );
    const record = z.object({ OrderNumber: z.number() });
    const all = await readAll(odataV2Pages(EXACT, fake.fetchJson, { record }));
    assert.deepEqual(
      all,
      [1, 2, 3, 4, 5, 6].map((n) => ({ OrderNumber: n })),
    );
  });
});

describe('paging: OData v4 $top/$skip', () => {
  // The fetch sees URLs as the URL parser writes them (a space as %20), as fetch would send them.
  const window = (top: number, skip: number) =>
    new URL(`${IFS}?$filter=Contract eq 'S1'&$top=${top}&$skip=${skip}`).href;
  const base = `${IFS}?$filter=Contract eq 'S1'`;

  it('reads full windows until a short one, appending $top/$skip without form-encoding the query', async () => {
    const fake = fakeFetch({
      [window(2, 0)]: v4(recs(0)),
      [window(2, 2)]: v4(recs(1)),
      [window(2, 4)]: v4(recs(2, 1).map((r) => ({ id: r.id + 2 }))),
    });
    const all = await readAll(odataV4SkipPages(base, fake.fetchJson, { pageSize: 2 }));
    assert.deepEqual(ids(all), [1, 2, 3, 4, 5]);
    assert.deepEqual(fake.calls, [window(2, 0), window(2, 2), window(2, 4)]);
    assert.match(fake.calls[0] ?? '', /\?\$filter=Contract%20eq%20%27S1%27&\$top=2&\$skip=0$/);
  });

  it('stops on an empty window after full ones', async () => {
    const fake = fakeFetch({ [window(2, 0)]: v4(recs(0)), [window(2, 2)]: v4([]) });
    assert.deepEqual(ids(await readAll(odataV4SkipPages(base, fake.fetchJson, { pageSize: 2 }))), [1, 2]);
    assert.equal(fake.calls.length, 2);
  });

  it('follows a next link inside a window before moving to the next window', async () => {
    // The server caps its pages at 1 record below $top=2, so the first page of each window is short.
    const fake = fakeFetch({
      [window(2, 0)]: v4([{ id: 1 }], `${IFS}?$skiptoken=1`),
      [`${IFS}?$skiptoken=1`]: v4([{ id: 2 }]),
      [window(2, 2)]: v4([{ id: 3 }]),
    });
    const all = await readAll(odataV4SkipPages(base, fake.fetchJson, { pageSize: 2 }));
    assert.deepEqual(ids(all), [1, 2, 3]);
  });

  it('refuses a service that ignores $skip (the same records at the next offset)', async () => {
    const fake = fakeFetch({ [window(2, 0)]: v4(recs(0)), [window(2, 2)]: v4(recs(0)) });
    const pages = odataV4SkipPages(base, fake.fetchJson, { pageSize: 2 });
    assert.deepEqual(ids((await pages.next()).value as Array<{ id: number }>), [1, 2]);
    await assert.rejects(pages.next(), (err: unknown) => {
      assert.ok(err instanceof PagingError);
      assert.equal(err.reason, 'loop');
      assert.match(err.message, /ignores \$skip/);
      return true;
    });
  });

  it('refuses a base query that already has $top or $skip', () => {
    assert.throws(
      () => odataV4SkipPages(`${IFS}?$top=5`, fakeFetch({}).fetchJson, { pageSize: 2 }).next(),
      TypeError,
    );
  });
});

describe('paging: GraphQL Relay cursors', () => {
  const PATH = ['x3Sales', 'salesDelivery', 'query'];
  const answer = (records: unknown[], endCursor: string | null, hasNextPage: boolean) => ({
    data: {
      x3Sales: {
        salesDelivery: {
          query: { edges: records.map((node) => ({ node })), pageInfo: { hasNextPage, endCursor } },
        },
      },
    },
  });

  /** A fake of the caller's GraphQL POST, answering by the `after` variable. */
  function fakeGraphql(byAfter: Record<string, unknown>) {
    const calls: RelayVariables[] = [];
    let inFlight = 0;
    let peak = 0;
    const fetchPage = async (variables: RelayVariables) => {
      calls.push(variables);
      inFlight++;
      peak = Math.max(peak, inFlight);
      await tick();
      inFlight--;
      const key = variables.after ?? '(first)';
      if (!(key in byAfter)) throw new Error(`test asked for an unexpected cursor: ${key}`);
      return byAfter[key];
    };
    return { fetchPage, calls, peak: () => peak };
  }

  const three = {
    '(first)': answer(recs(0), '["AO002"]#2', true),
    '["AO002"]#2': answer(recs(1), '["AO004"]#4', true),
    '["AO004"]#4': answer(recs(2), '["AO006"]#6', false),
  };

  it('passes first/after and follows endCursor until hasNextPage is false', async () => {
    const fake = fakeGraphql(three);
    const seen: number[][] = [];
    for await (const page of relayPages(fake.fetchPage, { pageSize: 2, path: PATH }))
      seen.push(ids(page) as number[]);
    assert.deepEqual(seen, [
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    assert.deepEqual(fake.calls, [
      { first: 2, after: null },
      { first: 2, after: '["AO002"]#2' },
      { first: 2, after: '["AO004"]#4' },
    ]);
  });

  it('reads a connection that lists nodes instead of edges', async () => {
    const fake = fakeGraphql({
      '(first)': {
        data: { x3Sales: { salesDelivery: { query: { nodes: recs(0), pageInfo: { hasNextPage: false } } } } },
      },
    });
    assert.deepEqual(ids(await readAll(relayPages(fake.fetchPage, { pageSize: 2, path: PATH }))), [1, 2]);
  });

  it('stops with a loop error when endCursor repeats', async () => {
    const fake = fakeGraphql({
      '(first)': answer(recs(0), 'c1', true),
      c1: answer(recs(1), 'c1', true),
    });
    // maxPages only so that a broken loop guard fails here quickly instead of hanging the run.
    await assert.rejects(
      readAll(relayPages(fake.fetchPage, { pageSize: 2, path: PATH, maxPages: 10 })),
      (err: unknown) => {
        assert.ok(err instanceof PagingError);
        assert.equal(err.reason, 'loop');
        assert.equal(err.kind, 'validation');
        assert.match(err.message, /GraphQL Relay page 2 .*endCursor "c1".*loops/);
        return true;
      },
    );
    assert.equal(fake.calls.length, 2);
  });

  it('rejects hasNextPage true without a cursor, naming the field', async () => {
    const fake = fakeGraphql({ '(first)': answer(recs(0), null, true) });
    await assert.rejects(readAll(relayPages(fake.fetchPage, { pageSize: 2, path: PATH })), (err: unknown) => {
      assert.ok(err instanceof MalformedPageError);
      assert.match(
        err.message,
        /GraphQL Relay page 1 .*data\.x3Sales\.salesDelivery\.query\.pageInfo\.endCursor/,
      );
      return true;
    });
  });

  it('names the missing level of the path and quotes the GraphQL error that came instead', async () => {
    const fake = fakeGraphql({
      '(first)': { data: { x3Sales: null }, errors: [{ message: 'Access denied' }] },
    });
    await assert.rejects(readAll(relayPages(fake.fetchPage, { pageSize: 2, path: PATH })), (err: unknown) => {
      assert.ok(err instanceof MalformedPageError);
      assert.match(err.message, /data\.x3Sales: .*expected object.*first GraphQL error: Access denied/);
      return true;
    });
  });

  it('requests pages one after another even when the caller asks for two at once', async () => {
    const fake = fakeGraphql(three);
    const pages = relayPages(fake.fetchPage, { pageSize: 2, path: PATH });
    const [a, b, c] = await Promise.all([pages.next(), pages.next(), pages.next()]);
    assert.deepEqual(
      [a, b, c].map((r) => ids(r.value as Array<{ id: number }>)),
      [
        [1, 2],
        [3, 4],
        [5, 6],
      ],
    );
    assert.equal(fake.peak(), 1);
  });
});

describe('paging: guards', () => {
  it('refuses a next link on another host and never fetches it', async () => {
    const fake = fakeFetch({ [EXACT]: v2(recs(0), 'https://evil.example.net/steal?$skiptoken=2') });
    const seen: unknown[] = [];
    await assert.rejects(
      (async () => {
        for await (const page of odataV2Pages(EXACT, fake.fetchJson)) seen.push(page);
      })(),
      (err: unknown) => {
        assert.ok(err instanceof PagingError);
        assert.equal(err.reason, 'foreign_origin');
        assert.equal(err.kind, 'validation');
        assert.equal(err.retryable, false);
        assert.match(
          err.message,
          /OData v2 page 1 .* https:\/\/evil\.example\.net, not https:\/\/start\.exactonline\.nl/,
        );
        assert.ok(err.action);
        return true;
      },
    );
    assert.deepEqual(fake.calls, [EXACT]);
    assert.deepEqual(seen, [], 'a page whose next link is refused is not yielded');
  });

  it('refuses a next link that drops from https to http on the same host', async () => {
    const fake = fakeFetch({ [X3]: sdata(recs(0), X3.replace('https:', 'http:') + '?page=2') });
    await assert.rejects(readAll(sdataPages(X3, fake.fetchJson)), (err: unknown) => {
      assert.ok(err instanceof PagingError);
      assert.equal(err.reason, 'foreign_origin');
      return true;
    });
    assert.equal(fake.calls.length, 1);
  });

  it('stops with a loop error when a next link leads back to a page already read', async () => {
    const fake = fakeFetch({
      [IFS]: v4(recs(0), `${IFS}?$skiptoken=2`),
      [`${IFS}?$skiptoken=2`]: v4(recs(1), IFS),
    });
    // maxPages only so that a broken loop guard fails here quickly instead of hanging the run.
    await assert.rejects(readAll(odataV4Pages(IFS, fake.fetchJson, { maxPages: 10 })), (err: unknown) => {
      assert.ok(err instanceof PagingError);
      assert.equal(err.reason, 'loop');
      assert.match(err.message, /OData v4 page 2 .*leads back to/);
      return true;
    });
    assert.equal(fake.calls.length, 2);
  });

  it('maxPages: a listing with exactly that many pages reads; one more page is refused before it is fetched', async () => {
    const ok = fakeFetch(threeLinked(EXACT, v2));
    assert.equal((await readAll(odataV2Pages(EXACT, ok.fetchJson, { maxPages: 3 }))).length, 6);

    const over = fakeFetch(threeLinked(EXACT, v2));
    const seen: number[] = [];
    await assert.rejects(
      (async () => {
        for await (const page of odataV2Pages(EXACT, over.fetchJson, { maxPages: 2 }))
          seen.push(...(ids(page) as number[]));
      })(),
      (err: unknown) => {
        assert.ok(err instanceof PagingError);
        assert.equal(err.reason, 'bound');
        assert.match(err.message, /more than 2 pages \(maxPages\)/);
        return true;
      },
    );
    assert.deepEqual(seen, [1, 2, 3, 4]);
    assert.equal(over.calls.length, 2);
  });

  it('maxRecords: the page that takes the count past the bound is refused, not yielded', async () => {
    const ok = fakeFetch(threeLinked(X3, sdata));
    assert.equal((await readAll(sdataPages(X3, ok.fetchJson, { maxRecords: 6 }))).length, 6);

    const over = fakeFetch(threeLinked(X3, sdata));
    const seen: number[] = [];
    await assert.rejects(
      (async () => {
        for await (const page of sdataPages(X3, over.fetchJson, { maxRecords: 3 }))
          seen.push(...(ids(page) as number[]));
      })(),
      (err: unknown) =>
        err instanceof PagingError && err.reason === 'bound' && /maxRecords/.test(err.message),
    );
    assert.deepEqual(seen, [1, 2]);
  });

  it('breaking out of the loop fetches nothing more', async () => {
    const fake = fakeFetch(threeLinked(IFS, v4));
    for await (const page of odataV4Pages(IFS, fake.fetchJson)) {
      assert.deepEqual(ids(page), [1, 2]);
      break;
    }
    assert.equal(fake.calls.length, 1);
  });

  it('an abort between pages stops the listing before the next fetch', async () => {
    const fake = fakeFetch(threeLinked(EXACT, v2));
    const controller = new AbortController();
    const pages = odataV2Pages(EXACT, fake.fetchJson, { signal: controller.signal });
    assert.deepEqual(ids((await pages.next()).value as Array<{ id: number }>), [1, 2]);
    controller.abort(new Error('poll cancelled'));
    await assert.rejects(pages.next(), /poll cancelled/);
    assert.equal(fake.calls.length, 1);
  });

  it('an abort during a fetch drops that page instead of yielding it', async () => {
    const controller = new AbortController();
    const fetchJson = async () => {
      controller.abort(new Error('worker shutting down'));
      return v2(recs(0));
    };
    const pages = odataV2Pages(EXACT, fetchJson, { signal: controller.signal });
    await assert.rejects(pages.next(), /worker shutting down/);
  });

  it('an aborted listing fetches nothing at all', async () => {
    const fake = fakeFetch(threeLinked(EXACT, v2));
    const signal = AbortSignal.abort(new Error('already cancelled'));
    await assert.rejects(readAll(odataV2Pages(EXACT, fake.fetchJson, { signal })), /already cancelled/);
    assert.equal(fake.calls.length, 0);
  });

  it('hands the listing’s signal to the caller’s fetch', async () => {
    const controller = new AbortController();
    const signals: Array<AbortSignal | undefined> = [];
    await readAll(
      odataV4Pages(IFS, async (_url, signal) => (signals.push(signal), v4([])), {
        signal: controller.signal,
      }),
    );
    assert.deepEqual(signals, [controller.signal]);
  });

  it('fetches link-style pages one at a time, even when the caller asks for several at once', async () => {
    const fake = fakeFetch(threeLinked(X3, sdata));
    const pages = sdataPages(X3, fake.fetchJson);
    const results = await Promise.all([pages.next(), pages.next(), pages.next(), pages.next()]);
    assert.deepEqual(
      results.map((r) => r.done),
      [false, false, false, true],
    );
    assert.equal(fake.peak(), 1);
    assert.equal(fake.calls.length, 3);
  });

  it('rejects bounds that are not whole numbers from 1', () => {
    assert.throws(() => odataV2Pages(EXACT, fakeFetch({}).fetchJson, { maxPages: 0 }), RangeError);
    assert.throws(() => odataV2Pages(EXACT, fakeFetch({}).fetchJson, { maxRecords: 1.5 }), RangeError);
  });
});

describe('paging: malformed pages name the style and the field', () => {
  const cases: Array<{
    name: string;
    run: (body: unknown) => Promise<unknown>;
    body: unknown;
    says: RegExp;
  }> = [
    {
      name: 'OData v2 without d.results',
      run: (body) => readAll(odataV2Pages(EXACT, async () => body)),
      body: { d: { __next: `${EXACT}?$skiptoken=2` } },
      says: /OData v2 page 1 from https:\/\/start\.exactonline\.nl\/api\/v1\/123\/salesorder\/SalesOrders .*d\.results: .*expected array/,
    },
    {
      name: 'OData v2 with a number for __next',
      run: (body) => readAll(odataV2Pages(EXACT, async () => body)),
      body: { d: { results: [], __next: 60 } },
      says: /OData v2 page 1 .*d\.__next: .*expected string/,
    },
    {
      name: 'OData v2 with a record that is not an object',
      run: (body) => readAll(odataV2Pages(EXACT, async () => body)),
      body: { d: { results: [{ id: 1 }, 'two'] } },
      says: /OData v2 page 1 .*d\.results\[1\]: .*expected record/,
    },
    {
      name: 'OData v4 with value as an object',
      run: (body) => readAll(odataV4Pages(IFS, async () => body)),
      body: { value: { id: 1 } },
      says: /OData v4 page 1 .*value: .*expected array/,
    },
    {
      name: 'OData v4 answering an HTML page (a string body)',
      run: (body) => readAll(odataV4Pages(IFS, async () => body)),
      body: '<html>Maintenance</html>',
      says: /OData v4 page 1 .*the answer: .*expected object/,
    },
    {
      name: 'SData with $resources missing',
      run: (body) => readAll(sdataPages(X3, async () => body)),
      body: { $links: {} },
      says: /SData page 1 .*\$resources: .*expected array/,
    },
    {
      name: 'SData with a number for $links.$next.$url',
      run: (body) => readAll(sdataPages(X3, async () => body)),
      body: { $resources: [], $links: { $next: { $url: 2 } } },
      says: /SData page 1 .*\$links\.\$next\.\$url: .*expected string/,
    },
    {
      name: 'a record field of the wrong type against the caller’s schema',
      run: (body) =>
        readAll(odataV2Pages(EXACT, async () => body, { record: z.object({ OrderNumber: z.number() }) })),
      body: { d: { results: [{ OrderNumber: 1 }, { OrderNumber: '2' }] } },
      says: /OData v2 page 1 .*d\.results\[1\]\.OrderNumber: .*expected number/,
    },
    {
      name: 'GraphQL Relay without pageInfo',
      run: (body) => readAll(relayPages(async () => body, { pageSize: 2, path: ['orders'] })),
      body: { data: { orders: { edges: [] } } },
      says: /GraphQL Relay page 1 from data\.orders .*data\.orders\.pageInfo: .*expected object/,
    },
    {
      name: 'GraphQL Relay with neither edges nor nodes',
      run: (body) => readAll(relayPages(async () => body, { pageSize: 2, path: ['orders'] })),
      body: { data: { orders: { pageInfo: { hasNextPage: false, endCursor: null } } } },
      says: /GraphQL Relay page 1 .*data\.orders\.edges: expected an edges or a nodes array/,
    },
  ];

  for (const c of cases) {
    it(c.name, async () => {
      await assert.rejects(c.run(c.body), (err: unknown) => {
        assert.ok(err instanceof MalformedPageError, `expected MalformedPageError, got ${String(err)}`);
        assert.equal(err.kind, 'unavailable');
        assert.match(err.message, c.says);
        assert.ok(err.details.length >= 1, 'the problems are listed in details too');
        assert.ok(err.action, 'the error says what to check');
        return true;
      });
    });
  }

  it('a malformed page on page 2 says page 2 and yields nothing of it', async () => {
    const fake = fakeFetch({
      [EXACT]: v2(recs(0), `${EXACT}?$skiptoken=2`),
      [`${EXACT}?$skiptoken=2`]: { d: {} },
    });
    const seen: number[] = [];
    await assert.rejects(
      (async () => {
        for await (const page of odataV2Pages(EXACT, fake.fetchJson)) seen.push(...(ids(page) as number[]));
      })(),
      /OData v2 page 2 .*d\.results/,
    );
    assert.deepEqual(seen, [1, 2]);
  });
});

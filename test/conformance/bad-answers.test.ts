// What every port of every system in connectors/registry.ts does when its system answers badly,
// through the fault proxy in front of its simulator: an HTML page, cut-off JSON, JSON of the wrong
// types, an 80 MB body, no answer, a 401 as after a token expired, a 429 with Retry-After, a storm of
// 503s. Each call ends, in bounded time, in success where the documented behaviour is to recover
// (a renewed token, a wait for Retry-After) and otherwise in a connector error of the expected kind
// that carries no credential; and the port works again as soon as the system answers well.
//
// test/bad-input/ holds the per-client corpus (exact messages and error classes, each operation);
// this file holds what is common to all systems, at the level of the ports the workflows call.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ErrorKind } from '../../connectors/kit/errors';
import type { ErpOrder } from '../../domain/order';
import { SEED, portKindOf, startHarness, systemsWith, type Harness } from './harness';
import type { Fault, ProxiedRequest } from './fault-proxy';
import { canonicalOrder, canonicalShipmentRequest, statusWriteBack } from './fixtures';
import { assertFailed, assertSucceeded, expectSuccess, retryDelayOf, settle, type Settled } from './outcome';

const ERP_CONNECTION = 'conformance-erp';

/**
 * Per-request timeout of the runtimes here (SystemDeps.callTimeoutMs): an answer that never comes
 * ends in seconds, not the connectors' tens of seconds, yet a good answer on a busy machine fits.
 */
const CALL_TIMEOUT_MS = 3_000;
const HOUR_MS = 3_600_000;

/** One port call the cases are run against; `n` makes each write's content new. */
interface Probe {
  name: string;
  run: (n: number) => Promise<unknown>;
}

/** A read and a write of the port, after whatever they need exists at the simulator. */
interface Subject {
  read: Probe;
  write: Probe;
}

/**
 * Which requests of a probe get the fault: every request of a read; only the writes of a write
 * (a write-back that reads the record first gets the bad answer to its write, not to its read).
 */
const FAULTED: Record<keyof Subject, (r: ProxiedRequest) => boolean> = {
  read: () => true,
  write: (r) => r.method !== 'GET' && r.method !== 'HEAD',
};

/** ERP: the poll's detection over a window covering now (read); a seeded order gets a new status (write). */
async function erpSubject(h: Harness): Promise<Subject> {
  const seed = h.simulator.seedDemoOrders;
  assert.ok(seed, `${h.system.title}'s simulator must offer seedDemoOrders`);
  const seeded = seed(3, { seed: SEED, firstOrderNumber: 890001 });
  const wanted = seeded.find((o) => !o.invalid);
  assert.ok(wanted, `seed ${SEED} gave no order without a data problem`);
  const detect = () => {
    const now = Date.now();
    return h.erp().detectReadyOrders({ since: new Date(now - HOUR_MS), until: new Date(now + 60_000) });
  };
  await h.inActivity(detect);
  const order: ErpOrder = await h.inActivity(() => h.erp().loadOrder(wanted.orderKey));
  return {
    read: { name: 'detectReadyOrders', run: detect },
    write: {
      name: 'writeStatus',
      run: (n) => h.erp().writeStatus(order, statusWriteBack(`conformance case ${n}`)),
    },
  };
}

/** Label carrier: a shipment's number is tracked (read); a new order gets a shipment (write). */
async function carrierSubject(h: Harness): Promise<Subject> {
  const create = (tag: string) => {
    const order = canonicalOrder(ERP_CONNECTION, tag);
    return h.carrier().createShipment({
      workflowId: `order/${ERP_CONNECTION}/${order.orderKey}`,
      erpConnection: ERP_CONNECTION,
      orderKey: order.orderKey,
      request: canonicalShipmentRequest(order, `ship/${ERP_CONNECTION}/${order.orderKey}`),
    });
  };
  const shipment = await h.inActivity(() => create(`bad-${SEED}-setup`));
  return {
    read: { name: 'track', run: () => h.carrier().track([shipment.masterTrackingNumber]) },
    write: { name: 'createShipment', run: (n) => create(`bad-${SEED}-${n}`) },
  };
}

/** Warehouse: recent shipments are listed (read); a new order is submitted (write). */
function fulfilmentSubject(h: Harness): Subject {
  return {
    read: {
      name: 'listShipments',
      run: () => {
        const now = Date.now();
        return h.fulfilment().listShipments({ since: new Date(now - HOUR_MS), until: new Date(now) });
      },
    },
    write: {
      name: 'submitOrder',
      run: (n) => {
        const order = canonicalOrder(ERP_CONNECTION, `bad-${SEED}-${n}`);
        return h.fulfilment().submitOrder({ workflowId: `order/${ERP_CONNECTION}/${order.orderKey}`, order });
      },
    },
  };
}

/** What a case must end in. */
type Expected =
  /** A connector error of this kind. */
  | { fails: ErrorKind }
  /**
   * The wait the 429 asked for is kept: the call succeeds after it, or (for a connector that hands
   * every 429 to Temporal's retry) ends in `rate_limited` with a retry delay no shorter, and the
   * retry after that delay succeeds.
   */
  | { honoursRetryAfterMs: number }
  /** A renewable token is renewed and the call succeeds; a static key's refusal is an auth error. */
  | 'renews-or-auth';

interface Case {
  name: string;
  fault: Fault;
  /** How many requests get the fault (default: all, until the case ends). */
  times?: number;
  expected: Expected;
  /** Which probes the case runs against. */
  on: ReadonlyArray<keyof Subject>;
  /** The longest the call may take. */
  withinMs: number;
}

/** A request and at most two re-sends, each ended by the timeout, plus backoffs between them. */
const SLOW_MS = 3 * CALL_TIMEOUT_MS + 6_000;
const QUICK_MS = 8_000;

const CASES: Case[] = [
  {
    name: 'an HTML maintenance page with HTTP 200',
    fault: { kind: 'html-page' },
    expected: { fails: 'unavailable' },
    on: ['read', 'write'],
    withinMs: QUICK_MS,
  },
  {
    name: 'JSON cut off halfway',
    fault: { kind: 'truncated-json' },
    expected: { fails: 'unavailable' },
    on: ['read'],
    withinMs: QUICK_MS,
  },
  {
    name: 'JSON of the wrong types (objects for arrays, numbers as strings, strings as numbers)',
    fault: { kind: 'wrong-types' },
    expected: { fails: 'unavailable' },
    on: ['read'],
    withinMs: QUICK_MS,
  },
  {
    name: 'JSON null instead of the answer',
    fault: { kind: 'json-null' },
    expected: { fails: 'unavailable' },
    on: ['read'],
    withinMs: QUICK_MS,
  },
  {
    name: 'an 80 MB body',
    fault: { kind: 'huge-body' },
    expected: { fails: 'unavailable' },
    on: ['read'],
    withinMs: SLOW_MS,
  },
  {
    name: 'no answer (the socket is held until the client gives up)',
    fault: { kind: 'no-answer' },
    expected: { fails: 'unavailable' },
    on: ['read', 'write'],
    withinMs: SLOW_MS,
  },
  {
    name: 'a storm of 503s (every request)',
    fault: { kind: 'status', status: 503 },
    expected: { fails: 'unavailable' },
    on: ['read', 'write'],
    withinMs: QUICK_MS,
  },
  {
    name: 'a 401 once, as after a token expired',
    fault: { kind: 'status', status: 401 },
    times: 1,
    expected: 'renews-or-auth',
    on: ['read', 'write'],
    withinMs: QUICK_MS,
  },
  {
    name: 'a 429 with Retry-After: 1 once',
    fault: { kind: 'status', status: 429, headers: { 'retry-after': '1' } },
    times: 1,
    expected: { honoursRetryAfterMs: 1_000 },
    on: ['read', 'write'],
    withinMs: QUICK_MS,
  },
  {
    name: 'a 429 whose Retry-After (120 s) outlasts the activity attempt',
    fault: { kind: 'status', status: 429, headers: { 'retry-after': '120' } },
    times: 1,
    expected: { fails: 'rate_limited' },
    on: ['read'],
    withinMs: QUICK_MS,
  },
];

/** How a case ends for this system: a renewable token's 401 in success, a static key's in `auth`. */
type Outcome = { fails: ErrorKind } | { honoursRetryAfterMs: number } | { succeeds: true };

function outcomeFor(c: Case, style: 'static' | 'token'): Outcome {
  if (c.expected !== 'renews-or-auth') return c.expected;
  return style === 'token' ? { succeeds: true } : { fails: 'auth' };
}

/** A wait asked for as 1 s is accepted from 900 ms on (timers and clocks round). */
const CLOCK_SLACK_MS = 100;
/** The most a connector may add to the wait a 429 asked for (its jitter). */
const MAX_EXTRA_WAIT_MS = 5_000;

const headerOf = (r: ProxiedRequest, name: string) => {
  const v = r.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
};

for (const system of [...systemsWith('erp'), ...systemsWith('carrier'), ...systemsWith('fulfilment')]) {
  describe(`bad answers: ${system.title} (${portKindOf(system)} port, simulator seed ${SEED})`, () => {
    let h: Harness;
    let subject: Subject;
    let style: 'static' | 'token';
    let n = 0;

    before(async () => {
      h = await startHarness(system, { callTimeoutMs: CALL_TIMEOUT_MS });
      const kind = portKindOf(system);
      subject =
        kind === 'erp'
          ? await erpSubject(h)
          : kind === 'carrier'
            ? await carrierSubject(h)
            : fulfilmentSubject(h);
      // A good read first: credentials (a token) are in place, and the requests show how they travel.
      await h.inActivity(() => subject.read.run(0));
      style = h.credentialStyle();
    });
    after(() => h?.stop());

    for (const c of CASES) {
      for (const which of c.on) {
        it(`${which} probe: ${c.name}`, { timeout: 60_000 }, async () => {
          const probe = subject[which];
          const caseNo = ++n;
          const context = `${system.title} ${probe.name}, ${c.name} (seed ${SEED}, case ${caseNo})`;
          const want = outcomeFor(c, style);
          const call = (attempt = 1) => h.inActivity(() => probe.run(caseNo), { attempt });
          const mark = h.proxy.requests.length;
          h.proxy.arm(c.fault, {
            match: FAULTED[which],
            ...(c.times === undefined ? {} : { times: c.times }),
          });
          let result: Settled<unknown>;
          try {
            result = await settle(() => call());
          } finally {
            h.proxy.disarm();
          }
          const sent = h.proxy.requests.slice(mark);
          const faulted = sent.filter((r) => r.fault);
          assert.ok(faulted.length >= 1, `${context}: the call reached the proxy and got the fault`);

          if ('fails' in want) {
            assertFailed(result, { kind: want.fails, withinMs: c.withinMs, secrets: h.secrets(), context });
          } else if ('succeeds' in want) {
            assertSucceeded(result, { withinMs: c.withinMs, context });
          } else if (result.ok) {
            assertSucceeded(result, { withinMs: c.withinMs, context });
            assert.ok(
              result.ms >= want.honoursRetryAfterMs - CLOCK_SLACK_MS,
              `${context}: succeeded after ${result.ms} ms, before the ${want.honoursRetryAfterMs} ms the answer asked to wait`,
            );
          } else {
            // Handed to Temporal's retry: the delay it asks for keeps the wait, and the retry works.
            assertFailed(result, {
              kind: 'rate_limited',
              withinMs: c.withinMs,
              secrets: h.secrets(),
              context,
            });
            const delay = retryDelayOf(result.error);
            assert.ok(
              delay !== undefined &&
                delay >= want.honoursRetryAfterMs - CLOCK_SLACK_MS &&
                delay <= want.honoursRetryAfterMs + MAX_EXTRA_WAIT_MS,
              `${context}: the retry delay ${delay} ms keeps the ${want.honoursRetryAfterMs} ms asked for`,
            );
            await new Promise((resolve) => setTimeout(resolve, delay));
            await expectSuccess(() => call(2), {
              withinMs: QUICK_MS,
              context: `${context}, Temporal's retry`,
            });
          }

          // Bounded: the bad answer was asked for again at most twice.
          assert.ok(faulted.length <= 3, `${context}: ${faulted.length} bad answers taken (at most 3)`);
          if (c.expected === 'renews-or-auth' && style === 'token') {
            const refused = faulted[0]!;
            const resent = sent.filter(
              (r) => !r.fault && r.method === refused.method && r.path === refused.path,
            );
            assert.ok(resent.length >= 1, `${context}: the refused request was sent again`);
            assert.notEqual(
              headerOf(resent[0]!, 'authorization'),
              headerOf(refused, 'authorization'),
              `${context}: the request was sent again with a renewed token`,
            );
          }

          // The port works again as soon as the system answers well.
          await expectSuccess(() => h.inActivity(() => subject.read.run(caseNo)), {
            withinMs: QUICK_MS,
            context: `${context}, then a good answer`,
          });
        });
      }
    }
  });
}

import type { Client } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import type { FedexSimulator } from '../simulators/fedex';
import type { PlexSimulator } from '../simulators/plex';
import type { FaultSchedule } from './faults';
import { scanHistories } from './history';
import type { ChaosDatabase } from './infra';
import type { ChaosOptions } from './options';
import { describeState, describeWorkflow } from './pending';
import { clientErrorsPerHour, type RequestRecord } from './proxy';
import type { SecretScanner } from './secrets';

// The invariants of issue 6, checked after the run against the simulators' own records (ground
// truth), the orders table, every workflow history and every log line.

export interface ChaosResult {
  orders: number;
  valid: number;
  bad: number;
  /** Valid orders delivered: the Plex shipper says Delivered with a delivery date, the orders table says delivered. */
  delivered: number;
  /** Valid orders whose Plex shipper carries the tracking number of their one FedEx shipment. */
  writtenBack: number;
  /** FedEx shipments beyond the first for an order (the simulator's per-reference count). */
  duplicates: number;
  /** Plex shipper writes beyond the write-backs the order's workflow completed. */
  duplicateWrites: number;
  /** Delivered at FedEx, but Plex never heard. */
  lostUpdates: number;
  parkedBad: number;
  secretsLeaked: number;
  /** Most 4xx (429 aside) one endpoint got in any hour. */
  clientErrorsWorst: { endpoint: string; count: number } | undefined;
  violations: string[];
  details: string[];
  /** Carrier outages longer than an order's retry budget, and the orders that waited them out. */
  outages?: number;
  waitedOrders?: number;
  complete: boolean;
  elapsedSeconds: number;
  /** The one machine-readable line. */
  line: string;
}

export interface CheckInput {
  opts: ChaosOptions;
  complete: boolean;
  started: number;
  plex: PlexSimulator;
  fedex: FedexSimulator;
  plexRecords: RequestRecord[];
  fedexRecords: RequestRecord[];
  issuedTokens: Set<string>;
  database: ChaosDatabase;
  client: Client;
  codec: PayloadCodec;
  scanner: SecretScanner;
  logs: Array<{ file: string; name: string }>;
  workflowIdOf(orderKey: string): string;
  chaos: {
    kills: number;
    starts: number;
    crashes: string[];
    serverRestarts: number;
    wantServerRestart: boolean;
    faults: FaultSchedule;
  };
}

export const CLIENT_ERROR_LIMIT = 10;
export const SHOW = 5;

export async function checkInvariants(input: CheckInput): Promise<ChaosResult> {
  const { plex, fedex, database, scanner } = input;
  const violations: string[] = [];
  const details: string[] = [];
  const seeded = plex.orders();
  const valid = seeded.filter((o) => !o.invalid);
  const bad = seeded.filter((o) => o.invalid);

  const rows = new Map(
    (await database.handle.db.selectFrom('orders').selectAll().execute()).map((r) => [r.order_key, r]),
  );
  const shipmentsByOrder = new Map<string, ReturnType<FedexSimulator['shipments']>>();
  for (const s of fedex.shipments()) {
    for (const ref of s.customerReferences) {
      const list = shipmentsByOrder.get(ref) ?? [];
      list.push(s);
      shipmentsByOrder.set(ref, list);
    }
  }
  const perReference = fedex.counters().shipmentsByReference;
  const writesByShipper = plex.counters().writesByShipper;

  // Secrets: tokens FedEx issued during the run are secrets too.
  let tokenNo = 0;
  for (const token of input.issuedTokens) scanner.add(`FedEx access token #${++tokenNo}`, token);
  const histories = await scanHistories(input.client, input.codec, scanner);
  for (const log of input.logs) await scanner.file('log lines', log.file, log.name);
  await scanDatabase(database, scanner);

  let delivered = 0;
  let writtenBack = 0;
  let duplicates = 0;
  let duplicateWrites = 0;
  let lostUpdates = 0;
  const notDelivered: Array<{ orderKey: string; text: string }> = [];
  const writeProblems: string[] = [];
  const lost: string[] = [];
  for (const o of valid) {
    const shipper = plex.getShipper(o.shipperId);
    const shipments = shipmentsByOrder.get(o.orderNumber) ?? [];
    duplicates += Math.max(0, (perReference[o.orderNumber] ?? 0) - 1);
    const live = shipments.filter((s) => !s.cancelled);
    const row = rows.get(o.orderKey);
    const inPlex = !!shipper?.deliveryDateTime && shipper.status === 'Delivered';
    if (inPlex && row?.status === 'delivered') delivered++;
    else {
      notDelivered.push({
        orderKey: o.orderKey,
        text:
          `order ${o.orderNumber}: orders table ${row ? `${row.status}${row.reason ? ` (${row.reason})` : ''}` : 'no row'}, ` +
          `Plex shipper ${shipper?.status ?? '?'}${shipper?.deliveryDateTime ? ' with delivery date' : ''}, ` +
          `FedEx ${live.map((s) => s.status).join(',') || 'no shipment'}`,
      });
    }
    if (live.length === 1 && shipper?.trackingNumber === live[0]!.masterTrackingNumber) writtenBack++;
    // One Plex write per write-back the workflow completed; a write-back it never completed (still
    // retrying when the run ended) may have written once already.
    const writes = writesByShipper[o.shipperId] ?? 0;
    const expected = histories.writeBacks.get(input.workflowIdOf(o.orderKey)) ?? 0;
    const unfinished = histories.unfinishedWriteBacks.get(input.workflowIdOf(o.orderKey)) ?? 0;
    if (writes < expected || writes > expected + unfinished) {
      duplicateWrites += Math.max(0, writes - expected - unfinished);
      writeProblems.push(
        `order ${o.orderNumber}: ${writes} Plex writes for ${expected} completed write-backs` +
          (unfinished ? ` and ${unfinished} unfinished` : ''),
      );
    }
    // An order being tracked whose delivery FedEx knows and Plex does not. (One still before its
    // tracking write-back when a run ends unsettled is late, not a lost update.)
    if (live.some((s) => s.status === 'DL') && !inPlex && row?.status === 'in_transit') {
      lostUpdates++;
      lost.push(`order ${o.orderNumber}: delivered at FedEx, Plex shipper ${shipper?.status ?? '?'}`);
    }
  }
  let parkedBad = 0;
  const badProblems: string[] = [];
  for (const o of bad) {
    const row = rows.get(o.orderKey);
    if (row?.status === 'needs_attention' && row.reason?.startsWith('validation:')) parkedBad++;
    else
      badProblems.push(
        `order ${o.orderNumber} (${o.invalid}): ${row ? `${row.status} ${row.reason ?? ''}` : 'no row'}`,
      );
    if ((perReference[o.orderNumber] ?? 0) > 0)
      badProblems.push(`order ${o.orderNumber} (${o.invalid}) was shipped`);
  }

  const errors = clientErrorsPerHour([
    ...input.plexRecords.map((r) => ({ ...r, endpoint: `plex ${r.endpoint}` })),
    ...input.fedexRecords.map((r) => ({ ...r, endpoint: `fedex ${r.endpoint}` })),
  ]);
  const lockoutRefusals = input.fedexRecords.filter(
    (r) => r.endpoint === 'POST /oauth/token' && r.status === 403,
  ).length;
  const secretsLeaked = scanner.hits.length;

  // What the run did to the pipeline.
  const c = input.chaos;
  const f = c.faults;
  const records = [...input.plexRecords, ...input.fedexRecords];
  const status = (pred: (s: number | null) => boolean) => records.filter((r) => pred(r.status)).length;
  details.push(
    `chaos applied: worker SIGKILLed ${c.kills} times (${c.starts} starts), dev server restarted ${c.serverRestarts} time(s), ` +
      `FedEx 429 storms ${f.stormsFedex}, Plex 429 bursts ${f.burstsPlex}, latency spikes ${f.spikes}, ` +
      `auth lockouts ${f.lockouts} (${lockoutRefusals} token request(s) refused)`,
    `requests: ${records.length} (Plex ${input.plexRecords.length}, FedEx ${input.fedexRecords.length}); ` +
      `5xx ${status((s) => s !== null && s >= 500)}, unanswered ${status((s) => s === null)}, ` +
      `429 ${status((s) => s === 429)}, other 4xx ${status((s) => s !== null && s >= 400 && s < 500 && s !== 429)}`,
    `retried activity attempts in order workflows: ${[...histories.failedAttempts.values()].reduce((a, b) => a + b, 0)}`,
    `secret scan: ${scanner.count} secrets in ${scanner.scanned['log lines'] ?? 0} log lines, ` +
      `${scanner.scanned['database rows'] ?? 0} audit/order rows, ${histories.executions} workflow histories ` +
      `(${histories.payloads} payloads decoded)`,
    `client errors (4xx other than 429) per endpoint per hour, most: ${
      errors.worst ? `${errors.worst.count} (${errors.worst.endpoint})` : '0'
    }; 429s by endpoint: ${JSON.stringify(errors.throttled)}`,
  );

  if (lockoutRefusals < 1) violations.push('the FedEx auth lockout never met a token request');
  return verdict({
    input,
    violations,
    details,
    orders: seeded.length,
    valid: valid.length,
    bad: bad.length,
    delivered,
    notDelivered,
    notDeliveredWhat: 'not delivered',
    writtenBack,
    writeProblems,
    duplicateWrites,
    duplicates,
    duplicatesWhat: 'duplicate FedEx shipments',
    duplicateProblems: [],
    lostUpdates,
    lostWhat: 'tracking updates',
    lost,
    parkedBad,
    badProblems,
    secretsLeaked,
    scanner,
    clientErrorsWorst: errors.worst,
  });
}

/** What both modes' checks hand to `verdict`: their counts and the examples behind them. */
export interface Tally {
  input: {
    client: Client;
    workflowIdOf: (orderKey: string) => string;
    complete: boolean;
    started: number;
    opts: Pick<ChaosOptions, 'kills'>;
    chaos: { crashes: string[]; kills: number; serverRestarts: number; wantServerRestart: boolean };
  };
  /** Violations and details found so far (mode-specific ones); verdict adds the common ones. */
  violations: string[];
  details: string[];
  orders: number;
  valid: number;
  bad: number;
  delivered: number;
  notDelivered: Array<{ orderKey: string; text: string }>;
  /** How the mode says a valid order did not reach its end ("not delivered"). */
  notDeliveredWhat: string;
  writtenBack: number;
  writeProblems: string[];
  duplicateWrites: number;
  duplicates: number;
  duplicatesWhat: string;
  duplicateProblems: string[];
  lostUpdates: number;
  lostWhat: string;
  lost: string[];
  parkedBad: number;
  badProblems: string[];
  secretsLeaked: number;
  scanner: SecretScanner;
  clientErrorsWorst: ChaosResult['clientErrorsWorst'];
}

/** The invariants both modes share, turned into violations with examples, and the final line. */
export async function verdict(t: Tally): Promise<ChaosResult> {
  const { input, violations, details } = t;
  const c = input.chaos;
  if (!input.complete) violations.push('the run did not settle (timeout, or no order moved any more)');
  if (t.delivered < t.valid) {
    violations.push(`${t.valid - t.delivered} of ${t.valid} valid orders ${t.notDeliveredWhat}`);
    // What Temporal says each one's workflow was doing when the run stopped waiting.
    for (const o of t.notDelivered.slice(0, SHOW)) {
      const state = await describeWorkflow(input.client, input.workflowIdOf(o.orderKey));
      details.push(`${o.text}; workflow ${describeState(state)}`);
    }
  }
  if (t.writtenBack < t.valid)
    violations.push(`${t.valid - t.writtenBack} valid orders without their one tracking number in Plex`);
  if (t.writeProblems.length > 0) {
    violations.push(
      `${t.writeProblems.length} orders not written back exactly once (${t.duplicateWrites} extra Plex writes)`,
    );
    details.push(...t.writeProblems.slice(0, SHOW));
  }
  if (t.duplicates > 0) {
    violations.push(`${t.duplicates} ${t.duplicatesWhat}`);
    details.push(...t.duplicateProblems.slice(0, SHOW));
  }
  if (t.lostUpdates > 0) {
    violations.push(
      `${t.lostUpdates} lost ${t.lostWhat}` +
        (input.complete ? '' : ' (the run did not settle: some may still have been on their way)'),
    );
    details.push(...t.lost.slice(0, SHOW));
  }
  if (t.parkedBad < t.bad || t.badProblems.length > 0) {
    violations.push(`${t.bad - t.parkedBad} of ${t.bad} bad orders not parked with a validation reason`);
    details.push(...t.badProblems.slice(0, SHOW));
  }
  if (t.secretsLeaked > 0) {
    violations.push(`${t.secretsLeaked} secret occurrence(s) in logs, rows or histories`);
    details.push(...t.scanner.hits.slice(0, SHOW).map((h) => `secret "${h.secret}" in ${h.where}`));
  }
  const worst = t.clientErrorsWorst;
  if (worst && worst.count >= CLIENT_ERROR_LIMIT) {
    violations.push(`${worst.endpoint} got ${worst.count} client errors in an hour`);
  }
  if (c.crashes.length > 0)
    violations.push(`worker exited on its own ${c.crashes.length} time(s): ${c.crashes.join(', ')}`);
  if (c.kills < input.opts.kills) violations.push(`only ${c.kills} of ${input.opts.kills} kills happened`);
  if (c.wantServerRestart && c.serverRestarts < 1) violations.push('the dev server was not restarted');

  const line =
    `chaos: orders=${t.orders} delivered=${t.delivered} duplicates=${t.duplicates} lost_updates=${t.lostUpdates} ` +
    `parked_bad=${t.parkedBad}/${t.bad} secrets_leaked=${t.secretsLeaked}`;
  return {
    orders: t.orders,
    valid: t.valid,
    bad: t.bad,
    delivered: t.delivered,
    writtenBack: t.writtenBack,
    duplicates: t.duplicates,
    duplicateWrites: t.duplicateWrites,
    lostUpdates: t.lostUpdates,
    parkedBad: t.parkedBad,
    secretsLeaked: t.secretsLeaked,
    clientErrorsWorst: worst,
    violations,
    details,
    complete: input.complete,
    elapsedSeconds: Math.round((Date.now() - input.started) / 1000),
    line,
  };
}

/** The audit log and the orders' reasons are logs too. */
export async function scanDatabase(database: ChaosDatabase, scanner: SecretScanner): Promise<void> {
  let after = '0';
  for (;;) {
    const page = await database.handle.db
      .selectFrom('audit_log')
      .selectAll()
      .where('id', '>', after)
      .orderBy('id')
      .limit(2000)
      .execute();
    for (const row of page) scanner.text('database rows', `audit_log ${row.id}`, JSON.stringify(row));
    if (page.length < 2000) break;
    after = page[page.length - 1]!.id;
  }
  const orders = await database.handle.db.selectFrom('orders').selectAll().execute();
  for (const row of orders) scanner.text('database rows', `orders ${row.order_key}`, JSON.stringify(row));
}

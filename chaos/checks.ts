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

  if (!input.complete) violations.push('the run did not settle (timeout, or no order moved any more)');
  if (delivered < valid.length) {
    violations.push(`${valid.length - delivered} of ${valid.length} valid orders not delivered`);
    // What Temporal says each one's workflow was doing when the run stopped waiting.
    for (const o of notDelivered.slice(0, SHOW)) {
      const state = await describeWorkflow(input.client, input.workflowIdOf(o.orderKey));
      details.push(`${o.text}; workflow ${describeState(state)}`);
    }
  }
  if (writtenBack < valid.length)
    violations.push(`${valid.length - writtenBack} valid orders without their one tracking number in Plex`);
  if (writeProblems.length > 0) {
    violations.push(
      `${writeProblems.length} orders not written back exactly once (${duplicateWrites} extra Plex writes)`,
    );
    details.push(...writeProblems.slice(0, SHOW));
  }
  if (duplicates > 0) violations.push(`${duplicates} duplicate FedEx shipments`);
  if (lostUpdates > 0) {
    violations.push(
      `${lostUpdates} lost tracking updates` +
        (input.complete ? '' : ' (the run did not settle: some may still have been on their way)'),
    );
    details.push(...lost.slice(0, SHOW));
  }
  if (parkedBad < bad.length || badProblems.length > 0) {
    violations.push(
      `${bad.length - parkedBad} of ${bad.length} bad orders not parked with a validation reason`,
    );
    details.push(...badProblems.slice(0, SHOW));
  }
  if (secretsLeaked > 0) {
    violations.push(`${secretsLeaked} secret occurrence(s) in logs, rows or histories`);
    details.push(...scanner.hits.slice(0, SHOW).map((h) => `secret "${h.secret}" in ${h.where}`));
  }
  if (errors.worst && errors.worst.count >= CLIENT_ERROR_LIMIT) {
    violations.push(`${errors.worst.endpoint} got ${errors.worst.count} client errors in an hour`);
  }
  if (c.crashes.length > 0)
    violations.push(`worker exited on its own ${c.crashes.length} time(s): ${c.crashes.join(', ')}`);
  if (c.kills < input.opts.kills) violations.push(`only ${c.kills} of ${input.opts.kills} kills happened`);
  if (c.wantServerRestart && c.serverRestarts < 1) violations.push('the dev server was not restarted');
  if (lockoutRefusals < 1) violations.push('the FedEx auth lockout never met a token request');

  const elapsedSeconds = Math.round((Date.now() - input.started) / 1000);
  const line =
    `chaos: orders=${seeded.length} delivered=${delivered} duplicates=${duplicates} lost_updates=${lostUpdates} ` +
    `parked_bad=${parkedBad}/${bad.length} secrets_leaked=${secretsLeaked}`;
  return {
    orders: seeded.length,
    valid: valid.length,
    bad: bad.length,
    delivered,
    writtenBack,
    duplicates,
    duplicateWrites,
    lostUpdates,
    parkedBad,
    secretsLeaked,
    clientErrorsWorst: errors.worst,
    violations,
    details,
    complete: input.complete,
    elapsedSeconds,
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

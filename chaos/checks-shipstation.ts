import type { Client } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import type { PlexSimulator } from '../simulators/plex';
import type { ShipStationSimulator } from '../simulators/shipstation';
import { scanDatabase, verdict, type ChaosResult } from './checks';
import type { FaultSchedule } from './faults';
import { scanHistories } from './history';
import type { ChaosDatabase } from './infra';
import type { ChaosOptions } from './options';
import { clientErrorsPerHour, type RequestRecord } from './proxy';
import type { SecretScanner } from './secrets';

// The invariants of the ShipStation mode (warehouse: Plex -> ShipStation, the simulated warehouse
// ships, the shipment comes back by webhook or the shipment poll, its tracking number goes into
// Plex), checked against the simulators' own stores (ground truth), the orders table, every
// workflow history and every log line. Same result shape and final line as the FedEx mode; there
// `delivered` means shipped and written back:
// - the ShipStation simulator holds exactly one order for the Plex order (by orderKey and order
//   number) and exactly one shipment of it,
// - the Plex shipper carries that shipment's tracking number,
// - the orders table says `shipped`.

export interface ShipStationCheckInput {
  opts: ChaosOptions;
  complete: boolean;
  started: number;
  plex: PlexSimulator;
  ss: ShipStationSimulator;
  plexRecords: RequestRecord[];
  ssRecords: RequestRecord[];
  database: ChaosDatabase;
  client: Client;
  codec: PayloadCodec;
  scanner: SecretScanner;
  logs: Array<{ file: string; name: string }>;
  workflowIdOf(orderKey: string): string;
  /** The ShipStation orderKey the connector derives from a Plex order key. */
  ssOrderKeyOf(orderKey: string): string;
  chaos: {
    kills: number;
    starts: number;
    crashes: string[];
    serverRestarts: number;
    wantServerRestart: boolean;
    faults: FaultSchedule;
  };
}

export async function checkShipStationInvariants(input: ShipStationCheckInput): Promise<ChaosResult> {
  const { plex, ss, database, scanner } = input;
  const violations: string[] = [];
  const details: string[] = [];
  const seeded = plex.orders();
  const valid = seeded.filter((o) => !o.invalid);
  const bad = seeded.filter((o) => o.invalid);

  const rows = new Map(
    (await database.handle.db.selectFrom('orders').selectAll().execute()).map((r) => [r.order_key, r]),
  );
  // ShipStation's store: orders by orderKey and by order number (a duplicate could differ in either).
  const ssOrders = ss.orders();
  const ssShipments = ss.shipments();
  const shipmentsByOrderId = new Map<number, typeof ssShipments>();
  for (const s of ssShipments) {
    const list = shipmentsByOrderId.get(s.orderId) ?? [];
    list.push(s);
    shipmentsByOrderId.set(s.orderId, list);
  }
  const ordersOf = (orderKey: string, orderNumber: string) =>
    ssOrders.filter((x) => x.orderKey === input.ssOrderKeyOf(orderKey) || x.orderNumber === orderNumber);
  const writesByShipper = plex.counters().writesByShipper;

  const histories = await scanHistories(input.client, input.codec, scanner);
  for (const log of input.logs) await scanner.file('log lines', log.file, log.name);
  await scanDatabase(database, scanner);

  let delivered = 0;
  let writtenBack = 0;
  let duplicates = 0;
  let duplicateWrites = 0;
  let lostUpdates = 0;
  let shipmentsOfValid = 0;
  const notDelivered: Array<{ orderKey: string; text: string }> = [];
  const writeProblems: string[] = [];
  const lost: string[] = [];
  const duplicateProblems: string[] = [];
  for (const o of valid) {
    const mine = ordersOf(o.orderKey, o.orderNumber);
    duplicates += Math.max(0, mine.length - 1);
    if (mine.length > 1)
      duplicateProblems.push(
        `order ${o.orderNumber}: ${mine.length} ShipStation orders (${mine.map((x) => x.orderId).join(', ')})`,
      );
    const shipments = mine.flatMap((x) => shipmentsByOrderId.get(x.orderId) ?? []);
    shipmentsOfValid += shipments.length;
    const shipper = plex.getShipper(o.shipperId);
    const row = rows.get(o.orderKey);
    const one = shipments.length === 1 ? shipments[0]! : undefined;
    const inPlex = !!one && shipper?.trackingNumber === one.trackingNumber;
    if (inPlex) writtenBack++;
    if (inPlex && row?.status === 'shipped' && mine.length === 1 && mine[0]!.orderStatus === 'shipped')
      delivered++;
    else {
      notDelivered.push({
        orderKey: o.orderKey,
        text:
          `order ${o.orderNumber}: orders table ${row ? `${row.status}${row.reason ? ` (${row.reason})` : ''}` : 'no row'}, ` +
          `Plex shipper ${shipper?.status ?? '?'} ${shipper?.trackingNumber ? `tracking ${shipper.trackingNumber}` : 'without tracking'}, ` +
          `ShipStation ${mine.map((x) => `${x.orderId} ${x.orderStatus}`).join(',') || 'no order'}, ` +
          `shipments ${shipments.map((s) => s.trackingNumber).join(',') || 'none'}`,
      });
    }
    // One Plex write per write-back the workflow completed (one per shipment here); a write-back it
    // never completed (still retrying when the run ended) may have written once already.
    const writes = writesByShipper[o.shipperId] ?? 0;
    const expected = histories.writeBacks.get(input.workflowIdOf(o.orderKey)) ?? 0;
    const unfinished = histories.unfinishedWriteBacks.get(input.workflowIdOf(o.orderKey)) ?? 0;
    if (writes < expected || writes > expected + unfinished || expected > shipments.length) {
      duplicateWrites += Math.max(0, writes - expected - unfinished, expected - shipments.length);
      writeProblems.push(
        `order ${o.orderNumber}: ${writes} Plex writes for ${expected} completed write-backs` +
          (unfinished ? ` and ${unfinished} unfinished` : '') +
          ` (${shipments.length} ShipStation shipment(s))`,
      );
    }
    // A shipment ShipStation made that never reached Plex while the order's workflow waited for it.
    // (One whose write-back was still on its way when a run ended unsettled is late, not lost.)
    for (const s of shipments) {
      if (shipper?.trackingNumber !== s.trackingNumber && row?.status === 'awaiting_fulfilment') {
        lostUpdates++;
        lost.push(
          `order ${o.orderNumber}: ShipStation shipment ${s.shipmentId} (${s.trackingNumber}) not in Plex ` +
            `(shipper ${shipper?.trackingNumber ?? 'without tracking'})`,
        );
      }
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
    if (ordersOf(o.orderKey, o.orderNumber).length > 0)
      badProblems.push(`order ${o.orderNumber} (${o.invalid}) reached ShipStation`);
  }

  const errors = clientErrorsPerHour([
    ...input.plexRecords.map((r) => ({ ...r, endpoint: `plex ${r.endpoint}` })),
    ...input.ssRecords.map((r) => ({ ...r, endpoint: `shipstation ${r.endpoint}` })),
  ]);
  const secretsLeaked = scanner.hits.length;

  const c = input.chaos;
  const f = c.faults;
  const records = [...input.plexRecords, ...input.ssRecords];
  const status = (pred: (s: number | null) => boolean) => records.filter((r) => pred(r.status)).length;
  const counters = ss.counters();
  const plexCounters = plex.counters();
  const undelivered = counters.webhookDeliveries.filter((d) => d.status < 200 || d.status >= 300).length;
  details.push(
    `chaos applied: worker SIGKILLed ${c.kills} times (${c.starts} starts), dev server restarted ${c.serverRestarts} time(s), ` +
      `ShipStation 429 storms ${f.stormsFedex}, Plex 429 bursts ${f.burstsPlex}, latency spikes ${f.spikes} ` +
      `(no auth lockout: ShipStation V1 has no token endpoint)`,
    `requests: ${records.length} (Plex ${input.plexRecords.length}, ShipStation ${input.ssRecords.length}); ` +
      `5xx ${status((s) => s !== null && s >= 500)}, unanswered ${status((s) => s === null)}, ` +
      `429 ${status((s) => s === 429)}, other 4xx ${status((s) => s !== null && s >= 400 && s < 500 && s !== 429)}`,
    `ShipStation: ${ssOrders.length} orders (${counters.ordersCreated} created, ${counters.ordersUpdated} updated, ` +
      `${counters.lockedOrderUpdatesRefused} locked refusals), ${ssShipments.length} shipments, ` +
      `${counters.webhooksSent} webhooks sent (${undelivered} not taken after all attempts: the shipment poll's part); ` +
      `Plex inventory shipments ${plexCounters.inventoryShipmentsCreated} for ${shipmentsOfValid} ShipStation shipments`,
    `retried activity attempts in order workflows: ${[...histories.failedAttempts.values()].reduce((a, b) => a + b, 0)}`,
    `secret scan: ${scanner.count} secrets in ${scanner.scanned['log lines'] ?? 0} log lines, ` +
      `${scanner.scanned['database rows'] ?? 0} audit/order rows, ${histories.executions} workflow histories ` +
      `(${histories.payloads} payloads decoded)`,
    `client errors (4xx other than 429) per endpoint per hour, most: ${
      errors.worst ? `${errors.worst.count} (${errors.worst.endpoint})` : '0'
    }; 429s by endpoint: ${JSON.stringify(errors.throttled)}`,
  );

  return verdict({
    input,
    violations,
    details,
    orders: seeded.length,
    valid: valid.length,
    bad: bad.length,
    delivered,
    notDelivered,
    notDeliveredWhat: 'not shipped and written back',
    writtenBack,
    writeProblems,
    duplicateWrites,
    duplicates,
    duplicatesWhat: 'duplicate ShipStation orders',
    duplicateProblems,
    lostUpdates,
    lostWhat: 'shipment updates',
    lost,
    parkedBad,
    badProblems,
    secretsLeaked,
    scanner,
    clientErrorsWorst: errors.worst,
  });
}

// Records the workflow histories that test/workflows/replay.test.ts replays against the current
// workflow code: `node bin/run-ts.js test/workflows/record-histories.ts`.
//
// It runs a few representative orders through the real pipelines of the workflow tests (a Temporal
// dev server of its own, real PostgreSQL, the simulators over HTTP), fetches each finished run's
// complete history and writes it to test/workflows/histories/<name>.json in the proto JSON format
// `historyFromJSON` reads, plus a top-level `workflowId` (a history does not carry its own id).
//
// Re-record only for an intentional, versioned workflow change (see histories/README.md), never to
// make a failing replay pass: the old histories stand for the orders in flight at a deploy.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import * as prettier from 'prettier';
import { orderWorkflowId } from '../../domain/ids';
import { PROJECT_ROOT } from '../../lib/paths';
import { erpPoll, inventorySync, shipmentPoll, trackingSweep } from '../../workflows';
import { cancelSignal, retrySignal } from '../../workflows/messages';
import type { Connectors } from '../../clients/connectors';
import { DELIVERY_SECONDS, startPipeline } from '../helpers/pipeline';
import { ERP, WAREHOUSE, startShipStationPipeline } from '../helpers/shipstation-pipeline';
import { seedSequence } from '../helpers/seed';
import { temporalTestEnv } from '../helpers/temporal';
import { historyToJsonObject } from './replay-fixtures/history-json';

const OUT_DIR = path.join(PROJECT_ROOT, 'test', 'workflows', 'histories');
/** Written in place of the client and worker identities (`<pid>@<hostname>` by default). */
const IDENTITY = 'record-histories';

interface Recorded {
  name: string;
  workflowId: string;
  events: number;
  bytes: number;
}

async function main(): Promise<void> {
  const env = await temporalTestEnv();
  const recorded: Recorded[] = [];
  try {
    recorded.push(...(await recordLabelOrders(env)));
    recorded.push(...(await recordWarehouseOrders(env)));
  } finally {
    await env.teardown();
  }
  for (const r of recorded) {
    console.log(`${r.name}.json  ${r.events} events  ${(r.bytes / 1024).toFixed(1)} KB  (${r.workflowId})`);
  }
}

/** Plex -> FedEx: delivered, parked-then-retried, cancelled after the label; one ERP poll, one sweep. */
async function recordLabelOrders(env: TestWorkflowEnvironment): Promise<Recorded[]> {
  const p = await startPipeline(env, 'record');
  try {
    const seeds = seedSequence('record-histories-label');
    const seed = (n: number, invalidShare = 0) => p.plex.seedOrders(n, { invalidShare, seed: seeds.next() });
    const orderId = (orderKey: string) => orderWorkflowId('plex-demo', orderKey);
    const handle = (orderKey: string) => env.client.workflow.getHandle(orderId(orderKey));

    // The delivered order, detected by the ERP poll that is recorded too.
    const [delivered] = seed(1);
    const pollId = `record-erp-poll-${p.taskQueue}`;
    const polled = await env.client.workflow.execute(erpPoll, {
      taskQueue: p.taskQueue,
      workflowId: pollId,
      args: [{ erpConnection: 'plex-demo' }],
    });
    if (polled.started !== 1)
      throw new Error(`the recorded poll should start one order: ${JSON.stringify(polled)}`);
    await p.waitFor(delivered!.orderKey, (s) => s.status === 'in_transit');

    // Cancelled after its label, before any sweep can deliver it.
    const [cancelled] = seed(1);
    await p.poll();
    await p.waitFor(cancelled!.orderKey, (s) => s.status === 'in_transit');
    await handle(cancelled!.orderKey).signal(cancelSignal, { reason: 'customer cancelled', by: IDENTITY });
    expectStatus(await handle(cancelled!.orderKey).result(), 'cancelled');

    // Invalid data: parked in needs_attention, fixed in Plex, retried.
    const [parked] = seed(1, 1);
    await p.poll();
    await p.waitFor(parked!.orderKey, (s) => s.status === 'needs_attention');
    p.plex.fixOrder(parked!.orderKey);
    await handle(parked!.orderKey).signal(retrySignal, { by: IDENTITY });
    await p.waitFor(parked!.orderKey, (s) => s.status === 'in_transit');

    // One tracking sweep (recorded) delivers both open orders.
    p.fedex.advanceClock(DELIVERY_SECONDS);
    const sweepId = `record-tracking-sweep-${p.taskQueue}`;
    const swept = await env.client.workflow.execute(trackingSweep, {
      taskQueue: p.taskQueue,
      workflowId: sweepId,
      args: [{ carrierConnection: 'fedex-demo' }],
    });
    if (swept.changed < 2)
      throw new Error(`the recorded sweep should move two orders: ${JSON.stringify(swept)}`);
    expectStatus(await handle(delivered!.orderKey).result(), 'delivered');
    expectStatus(await handle(parked!.orderKey).result(), 'delivered');

    const secrets = secretsOf(p.connectors);
    return [
      await save(env, 'label-delivered', orderId(delivered!.orderKey), secrets),
      await save(env, 'label-needs-attention-retried', orderId(parked!.orderKey), secrets),
      await save(env, 'label-cancelled-after-label', orderId(cancelled!.orderKey), secrets),
      await save(env, 'erp-poll', pollId, secrets),
      await save(env, 'tracking-sweep', sweepId, secrets),
    ];
  } finally {
    await p.close();
  }
}

/** Plex -> ShipStation: pushed, shipped by the warehouse (SHIP_NOTIFY webhook); one shipment poll and inventory sync. */
async function recordWarehouseOrders(env: TestWorkflowEnvironment): Promise<Recorded[]> {
  const p = await startShipStationPipeline(env, 'record-ss');
  try {
    const seeds = seedSequence('record-histories-warehouse');
    const [order] = p.plex.seedOrders(1, { seed: seeds.next() });
    const key = order!.orderKey;
    await p.poll();
    await p.waitFor(key, (s) => s.status === 'awaiting_fulfilment', 60_000);
    const shipped = await p.ship([key]);
    if (shipped.length !== 1)
      throw new Error(`the warehouse should ship one order, shipped ${shipped.length}`);
    expectStatus(await env.client.workflow.getHandle(orderWorkflowId(ERP, key)).result(), 'shipped');

    const shipmentPollId = `record-shipment-poll-${p.taskQueue}`;
    await env.client.workflow.execute(shipmentPoll, {
      taskQueue: p.taskQueue,
      workflowId: shipmentPollId,
      args: [{ carrierConnection: WAREHOUSE }],
    });
    const inventoryId = `record-inventory-sync-${p.taskQueue}`;
    await env.client.workflow.execute(inventorySync, {
      taskQueue: p.taskQueue,
      workflowId: inventoryId,
      args: [{ carrierConnection: WAREHOUSE, erpConnection: ERP }],
    });

    const secrets = secretsOf(p.connectors);
    return [
      await save(env, 'warehouse-shipped', orderWorkflowId(ERP, key), secrets),
      await save(env, 'shipment-poll', shipmentPollId, secrets),
      await save(env, 'inventory-sync', inventoryId, secrets),
    ];
  } finally {
    await p.close();
  }
}

function expectStatus(result: { status: string }, want: string): void {
  if (result.status !== want) throw new Error(`expected the order to end ${want}, it ended ${result.status}`);
}

/** Every credential of the (simulated) connections: none may appear in a recorded history. */
function secretsOf(connectors: Connectors): string[] {
  return [...connectors.live.values()]
    .flatMap((c) => Object.values(c.credentials as Record<string, unknown>))
    .filter((v): v is string => typeof v === 'string' && v.length >= 8);
}

/**
 * Fetch a closed run's complete history and write it. Only what replay never reads is rewritten:
 * the client and worker identities and sticky task queue names (they name this machine) and this
 * checkout's path in stack traces. The file is then checked for the machine's name, local paths and
 * every credential of the connections.
 */
async function save(
  env: TestWorkflowEnvironment,
  name: string,
  workflowId: string,
  secrets: string[],
): Promise<Recorded> {
  const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
  const { events } = historyToJsonObject(history);
  let text = JSON.stringify({ workflowId, events: events.map(anonymous) }, null, 2) + '\n';
  text = text.split(PROJECT_ROOT).join('<project>');
  const leaks = [
    // Identities and sticky queues are `<pid>@<host>...`; a short host name alone would match anything.
    ['process identity', `${process.pid}@`],
    ['host name', os.hostname().length >= 6 ? os.hostname() : undefined],
    ['temp dir', `${os.tmpdir()}/`],
    ['home dir', `${os.homedir()}/`],
    ...secrets.map((s) => ['credential', s]),
  ].filter(([, value]) => value && text.includes(value));
  if (leaks.length > 0) {
    throw new Error(`${name}: the history contains ${leaks.map(([what]) => what).join(', ')}; not written`);
  }
  // In the repository's own style, so `npm run lint` (prettier --check) passes on the new files.
  const file = path.join(OUT_DIR, `${name}.json`);
  text = await prettier.format(text, { ...(await prettier.resolveConfig(file)), filepath: file });
  fs.mkdirSync(OUT_DIR, { recursive: true });
  fs.writeFileSync(file, text);
  return { name, workflowId, events: events.length, bytes: Buffer.byteLength(text) };
}

/**
 * A copy of `value` with every `identity` field set to IDENTITY and every sticky task queue (a
 * worker's own queue, `<pid>@<host>-<uuid>`) renamed: replay reads neither.
 */
function anonymous(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(anonymous);
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value).map(([k, v]) => [k, k === 'identity' ? IDENTITY : anonymous(v)]);
  const copy = Object.fromEntries(entries) as Record<string, unknown>;
  if (copy.kind === 'TASK_QUEUE_KIND_STICKY' && typeof copy.name === 'string')
    copy.name = `${IDENTITY}-sticky`;
  return copy;
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);

import type { Logger } from 'pino';
import type { Config } from '../../lib/config';
import { startApp, type App, type Role } from '../app';
import type { DemoSeeding } from '../connectors';
import { intFlag, type ParsedArgs } from './args';

const TERMINAL = ['delivered', 'shipped', 'needs_attention', 'cancelled', 'failed'] as const;

/**
 * `start`, `worker` and `serve`: run until SIGINT/SIGTERM (or, with --exit-when-done, until every
 * seeded order has reached a final state), then stop everything in order and print the summary.
 */
export async function startCommand(
  config: Config,
  log: Logger,
  role: Role,
  flags: ParsedArgs['flags'],
): Promise<number> {
  const orders = intFlag(flags, 'orders') ?? 0;
  const exitWhenDone = flags['exit-when-done'] === true;
  const timeoutS = intFlag(flags, 'timeout') ?? 600;
  const startedAt = Date.now();

  const app = await startApp(config, log, role);
  const stopRequested = new Promise<string>((resolve) => {
    const onSignal = (sig: NodeJS.Signals) => {
      // A second Ctrl-C while stopping means "now".
      process.once(sig, () => process.exit(130));
      resolve(sig);
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });

  let exitCode = 0;
  let cannotSeed: boolean;
  let seeding: DemoSeeding | undefined;
  let reason: string;
  try {
    printBanner(app, role);
    seeding = orders > 0 ? await seedOrders(app, orders) : undefined;
    cannotSeed = orders > 0 && (seeding?.orders.length ?? 0) < orders;

    const workerStopped = app.workerDone?.then(
      () => 'worker stopped',
      (err: Error) => {
        log.error({ err: err.message }, 'worker failed');
        exitCode = 1;
        return 'worker failed';
      },
    );
    const waits: Array<Promise<string>> = [stopRequested];
    if (workerStopped) waits.push(workerStopped);
    if (exitWhenDone) {
      waits.push(
        cannotSeed
          ? Promise.resolve('nothing to wait for')
          : waitUntilDone(app, seeding!, startedAt + timeoutS * 1000),
      );
    }

    reason = await Promise.race(waits);
  } catch (err) {
    // Whatever failed after start-up, nothing is left running.
    await app.shutdown();
    throw err;
  }
  if (reason === 'timeout' || (exitWhenDone && cannotSeed)) exitCode = 1;
  log.info({ reason }, 'stopping');
  const summary = await summaryLine(app, seeding, startedAt);
  await app.shutdown();
  if (role === 'all') console.log(summary);
  return exitCode;
}

function printBanner(app: App, role: Role): void {
  const lines = [`ml-connector ${role === 'all' ? 'started' : `${role} started`}`];
  if (app.temporal.uiUrl) lines.push(`  Temporal Web UI:  ${app.temporal.uiUrl}`);
  lines.push(
    `  Temporal server:  ${app.temporal.address} (namespace ${app.temporal.namespace}, task queue ${app.temporal.taskQueue})`,
  );
  lines.push(
    `  Database:         ${app.database.kind === 'pglite' ? `embedded PostgreSQL (PGlite) in ${app.config.dataDir}` : 'PostgreSQL (DATABASE_URL)'}`,
  );
  if (app.http) lines.push(`  HTTP:             ${app.http.url}/healthz  ${app.http.url}/metrics`);
  for (const c of app.connections.values()) {
    lines.push(
      `  ${c.name.padEnd(17)} ${c.config.system} ${c.simulated ? `simulator at ${c.baseUrl}` : c.baseUrl}`,
    );
  }
  lines.push('  Stop with Ctrl-C.');
  console.log(lines.join('\n'));
}

/** Seed demo orders into the simulated ERP, then poll at once rather than at the next interval. */
async function seedOrders(app: App, count: number): Promise<DemoSeeding | undefined> {
  const seeding = app.connectors.seedDemoOrders(count);
  if (!seeding || seeding.orders.length === 0) {
    console.log(`cannot seed ${count} demo orders: no simulated ERP connection that can create orders`);
    return undefined;
  }
  console.log(describeSeeding(seeding));
  for (const id of app.scheduleIds.filter((s) => s.startsWith('erp-poll/'))) {
    await app.temporal.client.schedule
      .getHandle(id)
      .trigger()
      .catch(() => undefined);
  }
  return seeding;
}

/**
 * "seeded 6 demo orders into erp-demo (order numbers 100001-100006; 1 with a data problem a person
 * must fix: 100004 postal_code)": what the run will ship, and what it is expected to park.
 */
export function describeSeeding(seeding: DemoSeeding): string {
  const numbers = seeding.orders.map((o) => o.orderNumber);
  const range = numbers.length > 1 ? `${numbers[0]}-${numbers.at(-1)}` : numbers[0];
  const invalid = seeding.orders.filter((o) => o.invalid);
  const problems =
    invalid.length === 0
      ? 'none with a data problem'
      : `${invalid.length} with a data problem a person must fix: ${invalid.map((o) => `${o.orderNumber} ${o.invalid}`).join(', ')}`;
  return `seeded ${seeding.orders.length} demo orders into ${seeding.connection} (order numbers ${range}; ${problems})`;
}

/** Status per order of this run's seeding; an order the poll has not recorded yet is `detecting`. */
async function seededStatuses(app: App, seeding: DemoSeeding): Promise<Record<string, number>> {
  const rows = await app.repos.orders.getMany(
    seeding.connection,
    seeding.orders.map((o) => o.orderKey),
  );
  const counts: Record<string, number> = {};
  for (const o of seeding.orders) {
    const status = rows.get(o.orderKey)?.status ?? 'detecting';
    counts[status] = (counts[status] ?? 0) + 1;
  }
  return counts;
}

async function waitUntilDone(app: App, seeding: DemoSeeding, deadline: number): Promise<string> {
  const expected = seeding.orders.length;
  for (;;) {
    const counts = await seededStatuses(app, seeding);
    const finished = TERMINAL.reduce((n, s) => n + (counts[s] ?? 0), 0);
    if (finished >= expected) return 'done';
    if (Date.now() > deadline) {
      app.log.error({ finished, expected }, 'timed out waiting for the seeded orders');
      return 'timeout';
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/**
 * The closing line. With seeded orders it counts exactly those (orders of earlier runs on the same
 * data folder are not this run's outcome); without, every order the database holds.
 */
async function summaryLine(app: App, seeding: DemoSeeding | undefined, startedAt: number): Promise<string> {
  const counts = await (seeding ? seededStatuses(app, seeding) : app.repos.orders.countByStatus()).catch(
    () => ({}) as Record<string, number>,
  );
  const total = seeding ? seeding.orders.length : Object.values(counts).reduce((a, b) => a + b, 0);
  const get = (s: string) => counts[s] ?? 0;
  const inProgress = total - TERMINAL.reduce((n, s) => n + get(s), 0);
  // Orders a warehouse system shipped end at `shipped` (their delivery is the warehouse's to follow).
  const shipped = get('shipped') > 0 ? `shipped=${get('shipped')}/${total} ` : '';
  return (
    `summary: delivered=${get('delivered')}/${total} ${shipped}needs_attention=${get('needs_attention')} ` +
    `in_progress=${inProgress} cancelled=${get('cancelled')} failed=${get('failed')} ` +
    `elapsed_s=${Math.round((Date.now() - startedAt) / 1000)}`
  );
}

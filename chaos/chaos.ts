import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import pino from 'pino';
import YAML from 'yaml';
import { orderWorkflowId } from '../domain/ids';
import { createLogger } from '../lib/logger';
import { deriveCodecKey, EncryptionCodec } from '../lib/temporal/codec';
import { parseMasterKey } from '../lib/vault';
import { startFedexSimulator } from '../simulators/fedex';
import { shipStationOrderKey } from '../connectors/shipstation/mapping';
import { shipStationWebhookPath } from '../connectors/shipstation/system';
import { freePort } from '../lib/process';
import { startPlexSimulator } from '../simulators/plex';
import { SeededRandom } from '../simulators/shared/random';
import { startShipStationSimulator, type ShipStationSimulator } from '../simulators/shipstation';
import { checkInvariants, type ChaosResult } from './checks';
import { checkShipStationInvariants } from './checks-shipstation';
import { fedexFaults, FaultSchedule, shipStationFaults, TOKEN_TTL_SECONDS } from './faults';
import { describeState, describeWorkflow } from './pending';
import { createChaosDatabase, RestartableDevServer, workflowBundle } from './infra';
import type { ChaosOptions } from './options';
import { startRecordingProxy } from './proxy';
import { SecretScanner } from './secrets';
import { WorkerSupervisor } from './worker-supervisor';

// One chaos run: demo orders Plex -> FedEx through the app's own worker (a child process that is
// SIGKILLed and restarted), the real simulators over HTTP with faults on, a Temporal dev server
// restarted once on its persistent file, and a PostgreSQL database of its own. Afterwards the
// invariants are checked against the simulators (ground truth), the orders table, every workflow
// history and every log line (checks.ts).

export const ERP = 'plex-chaos';
export const CARRIER = 'fedex-chaos';
/** The warehouse connection of the ShipStation mode. */
export const WAREHOUSE = 'shipstation-chaos';
const ACCOUNT = '740561073';
/** Share of orders seeded with bad data (bad postal code, unknown country, missing weight). */
export const BAD_SHARE = 0.02;
/** Plex calls per minute in the simulator and the config (Plex's real 200 would make a 1,000-order run take hours). */
const PLEX_PER_MINUTE = 6000;
/** Simulated seconds per real second at FedEx: a ground shipment is delivered in about 40 s. */
const FEDEX_CLOCK_SPEED = 7200;
const TICK_MS = 500;
/** The carrier outage: well past an order's retry budget in chaosConfig (3 attempts, about 6 s). */
const OUTAGE_SECONDS = 45;
/**
 * ShipStation V1 calls per minute in the simulator and the config (the real 40 would make a
 * 1,000-order run take hours, as Plex's 200 would).
 */
const SHIPSTATION_PER_MINUTE = 3000;
/** Real seconds from an order reaching ShipStation to the simulated warehouse shipping it. */
const SHIPSTATION_SHIP_AFTER_SECONDS = 10;

export interface ChaosRunOptions extends ChaosOptions {
  /** Restart the dev server once (default true). */
  restartServer?: boolean;
  /** A prebuilt workflow bundle (npm test has one); otherwise the run builds its own. */
  workflowBundlePath?: string;
  /** Seconds over which the orders become ready in Plex (default orders / 5, within 10..300). */
  arrivalSeconds?: number;
  /** Progress lines (default: none). */
  say?: (line: string) => void;
  /** Stop early (SIGINT): the run ends as if its time were up. */
  signal?: AbortSignal;
  /** Stop waiting when no order moved for this long after all the chaos happened (default 300). */
  stallSeconds?: number;
  /** Keep the evidence here (logs, request log, audit log, orders) for a look afterwards. */
  keepDir?: string;
}

interface Action {
  kind: 'kill' | 'restart-server' | 'lockout' | 'outage';
  /** Progress (0..1) at which it happens, unless the time fallback comes first. */
  at: number;
  done: boolean;
}

export async function runChaos(opts: ChaosRunOptions): Promise<ChaosResult> {
  const say = opts.say ?? (() => undefined);
  const started = Date.now();
  const deadline = started + opts.timeoutSeconds * 1000;
  const random = new SeededRandom((opts.seed ^ 0x5eed) >>> 0);
  const stack: Array<() => Promise<void>> = [];
  const cleanup = async () => {
    while (stack.length) await stack.pop()!().catch((err: Error) => say(`cleanup: ${err.message}`));
  };

  try {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlc-chaos-'));
    stack.push(async () => fs.rmSync(tmp, { recursive: true, force: true }));
    const appLogFile = path.join(tmp, 'app.log');
    const workerLogFile = path.join(tmp, 'worker.log');
    // The app-side code this process runs (migrations, dev server) logs here at debug level.
    const appLog = createLogger({
      level: 'debug',
      destination: pino.destination({ dest: appLogFile, sync: true }),
    });

    // Credentials of this run only, and the scanner that looks for them everywhere afterwards.
    const shipstation = opts.carrier === 'shipstation';
    const secrets = {
      plexKey: randomBytes(24).toString('hex'),
      fedexId: `chaos${randomBytes(12).toString('hex')}`,
      fedexSecret: randomBytes(24).toString('hex'),
      masterKey: randomBytes(32).toString('base64'),
    };
    const ssSecrets = {
      apiKey: `chaos${randomBytes(12).toString('hex')}`,
      apiSecret: randomBytes(24).toString('hex'),
      webhookToken: randomBytes(24).toString('base64url'),
    };
    const scanner = new SecretScanner();
    scanner.add('Plex API key', secrets.plexKey);
    if (shipstation) {
      scanner.add('ShipStation API key', ssSecrets.apiKey);
      scanner.add('ShipStation API secret', ssSecrets.apiSecret);
      // V1 sends them as Basic credentials: the header value is a secret of its own.
      scanner.add(
        'ShipStation Basic credentials',
        Buffer.from(`${ssSecrets.apiKey}:${ssSecrets.apiSecret}`).toString('base64'),
      );
      scanner.add('ShipStation webhook token', ssSecrets.webhookToken);
    } else {
      scanner.add('FedEx client id', secrets.fedexId);
      scanner.add('FedEx client secret', secrets.fedexSecret);
    }
    scanner.add('master key', secrets.masterKey);
    scanner.add('master key (hex)', Buffer.from(secrets.masterKey, 'base64').toString('hex'));

    const database = await createChaosDatabase(appLog);
    stack.push(() => database.drop());

    const plex = await startPlexSimulator({
      keys: [{ apiKey: secrets.plexKey }],
      rateLimitPerMinute: PLEX_PER_MINUTE,
      seed: opts.seed,
    });
    stack.push(() => plex.stop());
    // The carrier side: FedEx, or (ShipStation mode) the warehouse. Only one of them runs.
    const fedex = shipstation
      ? undefined
      : await startFedexSimulator({
          clients: [{ clientId: secrets.fedexId, clientSecret: secrets.fedexSecret, accounts: [ACCOUNT] }],
          clockSpeed: FEDEX_CLOCK_SPEED,
          tokenTtlSeconds: TOKEN_TTL_SECONDS,
          seed: opts.seed,
        });
    if (fedex) stack.push(() => fedex.stop());
    const ss = shipstation
      ? await startShipStationSimulator({
          v1Keys: [{ apiKey: ssSecrets.apiKey, apiSecret: ssSecrets.apiSecret }],
          v1RateLimitPerMinute: SHIPSTATION_PER_MINUTE,
          // Real time: the shipment poll's window and the warehouse's V1 timestamps agree.
          clockSpeed: 1,
          shipAfterSeconds: SHIPSTATION_SHIP_AFTER_SECONDS,
          seed: opts.seed,
        })
      : undefined;
    if (ss) stack.push(() => ss.stop());
    const plexProxy = await startRecordingProxy(plex.url);
    stack.push(() => plexProxy.close());
    const carrierProxy = await startRecordingProxy((fedex ?? ss)!.url);
    stack.push(() => carrierProxy.close());
    const fedexProxy = carrierProxy;
    // The webhooks' resource_url must point where the connector reaches ShipStation (the proxy):
    // the connector follows it only to its configured ShipStation origin.
    ss?.setResourceBaseUrl(carrierProxy.url);

    const server = await RestartableDevServer.start(path.join(tmp, 'temporal.db'), appLog);
    stack.push(() => server.stop());
    const key = parseMasterKey(secrets.masterKey, 'chaos master key');
    const codec = new EncryptionCodec(deriveCodecKey(key.id, key.key));
    const connection = await Connection.connect({ address: server.address });
    stack.push(() => connection.close());
    const client = new Client({
      connection,
      namespace: server.namespace,
      dataConverter: { payloadCodecs: [codec] },
    });

    const bundlePath = await workflowBundle(tmp, opts.workflowBundlePath);
    const taskQueue = `chaos-${randomBytes(3).toString('hex')}`;
    const configFile = path.join(tmp, 'config.yaml');
    const common = { database: database.url, temporal: server.address, taskQueue, tmp, plex: plexProxy.url };
    fs.writeFileSync(
      configFile,
      YAML.stringify(
        ss
          ? shipStationChaosConfig({ ...common, shipstation: carrierProxy.url })
          : chaosConfig({ ...common, fedex: fedexProxy.url }),
      ),
    );
    // ShipStation mode: the worker process serves the webhook routes on a port fixed for the run,
    // and the warehouse is subscribed to them (SHIP_NOTIFY, ORDER_NOTIFY) as `start` subscribes its
    // simulator. The shipment poll (every 10 s) is the safety net for what a kill makes it miss.
    const httpPort = ss ? await freePort('127.0.0.1') : undefined;
    if (ss) {
      const target = `http://127.0.0.1:${httpPort}${shipStationWebhookPath(WAREHOUSE, ssSecrets.webhookToken)}`;
      await subscribeWebhooks(ss, ssSecrets, target);
    }
    const supervisor = new WorkerSupervisor({
      setup: { configFile, bundlePath, ...(httpPort !== undefined ? { httpPort } : {}) },
      setupFile: path.join(tmp, 'worker-setup.json'),
      env: workerEnv(secrets, ss ? ssSecrets : undefined),
      logFile: workerLogFile,
      note: say,
    });
    stack.push(() => supervisor.stop());
    await supervisor.start();
    say(`chaos: dev server ${server.address}, database ${database.name}, worker up, seed ${opts.seed}`);

    // What breaks when: kills and the server restart at random points of progress, the lockout
    // while FedEx is busy; bursts by time (faults.ts).
    const actions: Action[] = [
      ...Array.from({ length: opts.kills }, (): Action => ({
        kind: 'kill',
        at: 0.05 + 0.8 * random.next(),
        done: false,
      })),
      ...(opts.restartServer === false
        ? []
        : [{ kind: 'restart-server' as const, at: 0.3 + 0.4 * random.next(), done: false }]),
      // FedEx only: ShipStation has no token endpoint to lock a client out of (V1 Basic auth).
      ...(ss ? [] : [{ kind: 'lockout' as const, at: 0.15 + 0.45 * random.next(), done: false }]),
      // One carrier outage longer than an order's retry budget (chaosConfig's `orders`), at once,
      // while the first orders arrive: they meet it at the carrier and must wait it out by
      // themselves (a later point depends on how fast the run goes, and may catch none).
      { kind: 'outage' as const, at: 0, done: false },
    ].sort((a, b) => a.at - b.at);
    const faults = new FaultSchedule(
      random,
      plex,
      ss ? shipStationFaults(ss) : fedexFaults(fedex!),
      PLEX_PER_MINUTE,
      started,
    );
    faults.applyBase({ errorRate: opts.errorRate, timeoutRate: opts.timeoutRate });
    stack.push(async () => faults.stop());

    // Orders arrive over time, as they would in a plant: batches every 2 s, the bad ones together.
    const arrivalMs =
      1000 * (opts.arrivalSeconds ?? Math.min(300, Math.max(10, Math.round(opts.orders / 5))));
    const badTotal = Math.max(1, Math.round(opts.orders * BAD_SHARE));
    const batches = Math.max(1, Math.floor(arrivalMs / 2000));
    const badBatch = random.int(0, batches - 1);
    let seededBatches = 0;
    let seededCount = 0;
    const seedDue = (now: number) => {
      while (seededBatches < batches && now - started >= (seededBatches * arrivalMs) / batches) {
        const goodTotal = opts.orders - badTotal;
        const upTo = Math.round((goodTotal * (seededBatches + 1)) / batches);
        const good = upTo - Math.round((goodTotal * seededBatches) / batches);
        // ShipStation mode writes shipped quantities back into Plex stock: the plant must hold what
        // it sells, or a valid order parks for want of stock (seed-dependent with 40 per part).
        if (good > 0)
          plex.seedOrders(good, {
            seed: opts.seed + seededBatches,
            invalidShare: 0,
            ...(ss ? { stockToCover: true } : {}),
          });
        if (seededBatches === badBatch) {
          if (!ss) plex.seedOrders(badTotal, { seed: opts.seed + 7919, invalidShare: 1 });
          else seedBadForWarehouse(plex, badTotal, opts.seed + 7919);
        }
        seededCount += good + (seededBatches === badBatch ? badTotal : 0);
        seededBatches++;
      }
    };

    let lastAction = Date.now();
    let lastReport = 0;
    let progress = {
      tracked: 0,
      delivered: 0,
      parked: 0,
      validTotal: opts.orders - badTotal,
      done: false,
      unsettled: [] as string[],
    };
    // A stalled pipeline must still meet its chaos: an action is forced after this long.
    const maxGapMs = Math.max(45_000, Math.min(180_000, arrivalMs));
    // Once all the chaos has happened, this long without any order moving means it never will,
    // unless an unsettled order's activity is still being retried: at the retry policy's maximum
    // interval (2 minutes) two failed attempts in a row keep an order still for over 4 minutes.
    const stallMs = (opts.stallSeconds ?? 300) * 1000;
    let lastMove = Date.now();
    let stalled = false;
    let lastRetryCheck = 0;
    let seen = '';
    while (Date.now() < deadline && !opts.signal?.aborted) {
      const now = Date.now();
      seedDue(now);
      faults.tick(now);
      progress = await measure(plex, database, seededCount === opts.orders, opts.orders - badTotal, !!ss);
      const refusals = fedexProxy.records.filter(
        (r) => r.endpoint === 'POST /oauth/token' && r.status === 403,
      ).length;
      const lockoutOver = ss ? true : faults.lockoutSettled(refusals, now);
      const p = (progress.tracked + progress.delivered) / (2 * progress.validTotal);
      const next = actions.find((a) => !a.done);
      if (next && (p >= next.at || now - lastAction > maxGapMs || progress.done)) {
        next.done = true;
        await act(next, { supervisor, server, faults, random, say, started });
        lastAction = Date.now();
        continue;
      }
      if (!next && progress.done && lockoutOver) break;
      const moved = `${seededCount}/${progress.tracked}/${progress.delivered}/${progress.parked}`;
      if (moved !== seen) {
        seen = moved;
        lastMove = now;
      } else if (!next && lockoutOver && now - lastMove > stallMs && now - lastRetryCheck > 15_000) {
        lastRetryCheck = now;
        const states = await Promise.all(
          progress.unsettled.map((key) => describeWorkflow(client, orderWorkflowId(ERP, key))),
        );
        const retrying = states.filter((s) => s.status === 'RUNNING' && s.pending.length > 0);
        if (retrying.length === 0) {
          stalled = true;
          break;
        }
        say(
          `chaos: ${Math.round((now - started) / 1000)} s: no order moved for ${Math.round((now - lastMove) / 1000)} s, ` +
            `but ${retrying.length} still retrying; first: ${retrying[0]!.workflowId}: ${describeState(retrying[0]!, now)}`,
        );
      }
      if (now - lastReport > 15_000) {
        lastReport = now;
        say(
          `chaos: ${Math.round((now - started) / 1000)} s: seeded ${seededCount}/${opts.orders}, tracking written ${progress.tracked}, ` +
            `${ss ? 'shipped and written back' : 'delivered'} ${progress.delivered}/${progress.validTotal}, bad parked ${progress.parked}/${badTotal}, ` +
            `worker starts ${supervisor.starts}, kills ${supervisor.kills}, server restarts ${server.restarts}`,
        );
      }
      await new Promise((r) => setTimeout(r, TICK_MS));
    }
    const complete = progress.done && actions.every((a) => a.done) && (!!ss || faults.lockoutSettled(0));
    say(
      complete
        ? 'chaos: every order settled; stopping the worker and checking'
        : stalled
          ? `chaos: no order moved for ${stallMs / 1000} s after all the chaos; checking what there is`
          : 'chaos: out of time; checking what there is',
    );

    faults.stop();
    await supervisor.stop();
    const chaosDone = {
      kills: supervisor.kills,
      starts: supervisor.starts,
      crashes: supervisor.crashes,
      serverRestarts: server.restarts,
      wantServerRestart: opts.restartServer !== false,
      faults,
    };
    const logs = [
      { file: workerLogFile, name: 'worker.log' },
      { file: appLogFile, name: 'app.log' },
    ];
    // What both modes' checks read: the run, the two stores, the workflows and the logs.
    const checkInput = {
      opts,
      complete,
      started,
      plex,
      plexRecords: plexProxy.records,
      database,
      client,
      codec,
      scanner,
      logs,
      workflowIdOf: (orderKey: string) => orderWorkflowId(ERP, orderKey),
      chaos: chaosDone,
    };
    const result = ss
      ? await checkShipStationInvariants({
          ...checkInput,
          ss,
          ssRecords: carrierProxy.records,
          ssOrderKeyOf: (orderKey) => shipStationOrderKey(ERP, orderKey),
        })
      : await checkInvariants({
          ...checkInput,
          fedex: fedex!,
          fedexRecords: fedexProxy.records,
          issuedTokens: fedexProxy.issuedTokens,
        });
    // The outage's mark: orders that ran out of retries and waited on a system by themselves.
    const waited = await database.handle.db
      .selectFrom('audit_log')
      .select((eb) => eb.fn.count<string>('order_key').distinct().as('n'))
      .where('action', '=', 'order.waiting')
      .executeTakeFirst();
    result.outages = faults.outages;
    result.waitedOrders = Number(waited?.n ?? 0);
    result.details.push(
      `orders that waited on a system by themselves (no retry signal is ever sent): ${result.waitedOrders}; carrier outages: ${faults.outages}`,
    );
    if (opts.keepDir) {
      await keepEvidence(opts.keepDir, {
        files: [workerLogFile, appLogFile],
        requests: { plex: plexProxy.records, [ss ? 'shipstation' : 'fedex']: carrierProxy.records },
        database,
        result,
      });
      say(`chaos: evidence kept in ${opts.keepDir}`);
    }
    return result;
  } finally {
    await cleanup();
  }
}

async function act(
  action: Action,
  ctx: {
    supervisor: WorkerSupervisor;
    server: RestartableDevServer;
    faults: FaultSchedule;
    random: SeededRandom;
    say: (line: string) => void;
    started: number;
  },
): Promise<void> {
  const t = () => `${Math.round((Date.now() - ctx.started) / 1000)} s`;
  if (action.kind === 'kill') {
    // A random moment within the next couple of seconds, not the instant progress crossed a line.
    await sleep(ctx.random.int(0, 2000));
    await ctx.supervisor.kill();
    const down = ctx.random.int(500, 4000);
    ctx.say(`chaos: ${t()}: worker SIGKILLed (kill ${ctx.supervisor.kills}); restarting it in ${down} ms`);
    await sleep(down);
    await ctx.supervisor.start();
  } else if (action.kind === 'restart-server') {
    const down = ctx.random.int(1000, 3000);
    ctx.say(`chaos: ${t()}: restarting the Temporal dev server (down ${down} ms, same db file and port)`);
    await ctx.server.restart(down);
    ctx.say(`chaos: ${t()}: dev server back`);
  } else if (action.kind === 'outage') {
    ctx.faults.outage(OUTAGE_SECONDS);
    ctx.say(`chaos: ${t()}: carrier outage for ${OUTAGE_SECONDS} s (longer than an order's retry budget)`);
  } else {
    ctx.faults.lockout();
    ctx.say(`chaos: ${t()}: FedEx auth lockout`);
  }
}

/**
 * Where the orders are, from the Plex simulator (ground truth) and the orders table. ShipStation
 * mode (`warehouse`): an order ends shipped and written back (its tracking number on the Plex
 * shipper, the orders table `shipped`); that is what `delivered` counts there.
 */
async function measure(
  plex: Awaited<ReturnType<typeof startPlexSimulator>>,
  database: Awaited<ReturnType<typeof createChaosDatabase>>,
  allSeeded: boolean,
  validTotal: number,
  warehouse = false,
) {
  const finalStatus = warehouse ? 'shipped' : 'delivered';
  let tracked = 0;
  let delivered = 0;
  const seeded = plex.orders();
  const bad = new Set(seeded.filter((o) => o.invalid).map((o) => o.orderKey));
  const rows = await database.handle.db
    .selectFrom('orders')
    .select(['order_key', 'status'])
    .where('status', 'in', ['needs_attention', finalStatus])
    .execute();
  const settledRows = new Map(rows.map((r) => [r.order_key, r.status]));
  /** Orders not yet where the run expects them to end (valid: delivered in Plex and the table). */
  const unsettled: string[] = [];
  for (const o of seeded) {
    if (o.invalid) {
      if (settledRows.get(o.orderKey) !== 'needs_attention') unsettled.push(o.orderKey);
      continue;
    }
    if (warehouse) {
      const tn = plex.trackingNumberOf(o.shipperId);
      const settled = !!tn && settledRows.get(o.orderKey) === 'shipped';
      if (tn) tracked++;
      if (settled) delivered++;
      else unsettled.push(o.orderKey);
      continue;
    }
    const s = plex.getShipper(o.shipperId);
    if (s?.trackingNumber) tracked++;
    if (s?.deliveryDateTime) delivered++;
    if (!s?.deliveryDateTime || settledRows.get(o.orderKey) !== 'delivered') unsettled.push(o.orderKey);
  }
  const parked = rows.filter((r) => r.status === 'needs_attention' && bad.has(r.order_key)).length;
  const dbDelivered = warehouse ? delivered : rows.filter((r) => r.status === 'delivered').length;
  const done = allSeeded && delivered === validTotal && dbDelivered === validTotal && parked === bad.size;
  return { tracked, delivered, parked, validTotal, done, unsettled };
}

/** Logs, the request log, the audit log and the orders table as files, for reading after the run. */
async function keepEvidence(
  dir: string,
  e: {
    files: string[];
    requests: Record<string, unknown[]>;
    database: Awaited<ReturnType<typeof createChaosDatabase>>;
    result: ChaosResult;
  },
): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  for (const f of e.files) if (fs.existsSync(f)) fs.copyFileSync(f, path.join(dir, path.basename(f)));
  const lines = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
  for (const [name, rows] of Object.entries(e.requests)) {
    fs.writeFileSync(path.join(dir, `requests-${name}.jsonl`), lines(rows));
  }
  const db = e.database.handle.db;
  fs.writeFileSync(
    path.join(dir, 'audit_log.jsonl'),
    lines(await db.selectFrom('audit_log').selectAll().orderBy('id').execute()),
  );
  fs.writeFileSync(
    path.join(dir, 'orders.jsonl'),
    lines(await db.selectFrom('orders').selectAll().execute()),
  );
  fs.writeFileSync(path.join(dir, 'result.json'), JSON.stringify(e.result, null, 2));
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Bad orders for the warehouse: a bad postal code or an unknown country, which ShipStation mode
 * refuses before anything reaches ShipStation. Not a missing weight: a warehouse weighs what it
 * packs, ShipStation takes orders without a weight, and the connector sends none then
 * (validateForShipStation). The Plex seeder gives defects in turn (postal code, country, weight),
 * so batches of at most two get only the first two.
 */
function seedBadForWarehouse(
  plex: Awaited<ReturnType<typeof startPlexSimulator>>,
  count: number,
  seed: number,
): void {
  for (let done = 0, batch = 0; done < count; batch++) {
    const n = Math.min(2, count - done);
    plex.seedOrders(n, { seed: seed + batch, invalidShare: 1 });
    done += n;
  }
}

/** SHIP_NOTIFY and ORDER_NOTIFY to the worker's webhook route, as `start` subscribes its simulator. */
async function subscribeWebhooks(
  ss: ShipStationSimulator,
  creds: { apiKey: string; apiSecret: string },
  targetUrl: string,
): Promise<void> {
  const auth = Buffer.from(`${creds.apiKey}:${creds.apiSecret}`).toString('base64');
  for (const event of ['SHIP_NOTIFY', 'ORDER_NOTIFY']) {
    const res = await fetch(`${ss.url}/webhooks/subscribe`, {
      method: 'POST',
      headers: { authorization: `Basic ${auth}`, 'content-type': 'application/json' },
      body: JSON.stringify({ target_url: targetUrl, event, friendly_name: `chaos ${event}` }),
    });
    if (!res.ok) throw new Error(`ShipStation webhook subscription (${event}) answered ${res.status}`);
  }
}

/** The worker's environment: credentials and the master key, and nothing that could override the config. */
function workerEnv(
  secrets: { plexKey: string; fedexId: string; fedexSecret: string; masterKey: string },
  ss?: { apiKey: string; apiSecret: string; webhookToken: string },
) {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(MLC_|FEDEX_|TEMPORAL_ADDRESS|TEMPORAL_NAMESPACE|TEMPORAL_API_KEY|DATABASE_URL|LOG_LEVEL)/.test(k))
      continue;
    env[k] = v;
  }
  if (ss) {
    return {
      ...env,
      MLC_MASTER_KEY: secrets.masterKey,
      CHAOS_PLEX_KEY: secrets.plexKey,
      CHAOS_SS_KEY: ss.apiKey,
      CHAOS_SS_SECRET: ss.apiSecret,
      CHAOS_SS_WEBHOOK_TOKEN: ss.webhookToken,
    };
  }
  return {
    ...env,
    MLC_MASTER_KEY: secrets.masterKey,
    CHAOS_PLEX_KEY: secrets.plexKey,
    CHAOS_FEDEX_ID: secrets.fedexId,
    CHAOS_FEDEX_SECRET: secrets.fedexSecret,
  };
}

function chaosConfig(c: {
  database: string;
  temporal: string;
  taskQueue: string;
  tmp: string;
  plex: string;
  fedex: string;
}) {
  return {
    dataDir: path.join(c.tmp, 'data'),
    database: { url: c.database },
    temporal: { address: c.temporal, namespace: 'default', taskQueue: c.taskQueue },
    // Debug: the secret scan reads as much as the app can say.
    log: { level: 'debug' },
    connections: {
      [ERP]: {
        system: 'plex',
        baseUrl: c.plex,
        simulator: 'never',
        credentials: { apiKey: 'env:CHAOS_PLEX_KEY' },
        settings: {
          readyState: 'Open',
          writeBack: {
            shippedStatus: 'Shipped',
            statusMap: { in_transit: 'In Transit', delivered: 'Delivered' },
          },
        },
      },
      [CARRIER]: {
        system: 'fedex',
        baseUrl: c.fedex,
        simulator: 'never',
        credentials: { clientId: 'env:CHAOS_FEDEX_ID', clientSecret: 'env:CHAOS_FEDEX_SECRET' },
        settings: { accountNumber: ACCOUNT },
      },
    },
    schedules: { erpPoll: { every: '5s' }, trackingSweep: { every: '10s' } },
    // Three attempts a call (about 6 s of backoff), then the order waits on the system by itself:
    // the outage (OUTAGE_SECONDS) outlasts that many times over, and no one sends a retry signal.
    orders: { callAttempts: 3, waitFirstPause: '5s', waitMaxPause: '20s' },
    limits: {
      plex: { callsPerMinute: PLEX_PER_MINUTE },
      fedex: { transactionsPer10s: 1400, lockoutMinutes: 1 },
    },
    mappings: [
      {
        erp: ERP,
        carrier: CARRIER,
        shipFrom: {
          company: 'Chaos Manufacturing Co',
          lines: ['3610 Hacks Cross Rd'],
          city: 'Memphis',
          stateOrProvince: 'TN',
          postalCode: '38125',
          countryCode: 'US',
          phone: '9015550100',
        },
        serviceLevels: {
          'FDX-GROUND': 'FEDEX_GROUND',
          'FDX-2DAY': 'FEDEX_2_DAY',
          'FDX-OVERNIGHT': 'PRIORITY_OVERNIGHT',
        },
        defaultService: 'FEDEX_GROUND',
        // Plex keeps no country of origin for a part.
        customs: { defaults: { countryOfManufacture: 'US' } },
      },
    ],
  };
}

/**
 * ShipStation mode: the same Plex connection, mapped to a ShipStation connection (V1, warehouse
 * mode). The shipment poll runs every 10 s as the webhooks' safety net; the inventory sync is off
 * (it moves stock figures, not orders, and needs a V2 key this run does not configure).
 */
function shipStationChaosConfig(c: {
  database: string;
  temporal: string;
  taskQueue: string;
  tmp: string;
  plex: string;
  shipstation: string;
}) {
  const base = chaosConfig({ ...c, fedex: 'http://127.0.0.1:9' });
  return {
    ...base,
    connections: {
      [ERP]: base.connections[ERP],
      [WAREHOUSE]: {
        system: 'shipstation',
        baseUrl: c.shipstation,
        simulator: 'never',
        credentials: {
          apiKey: 'env:CHAOS_SS_KEY',
          apiSecret: 'env:CHAOS_SS_SECRET',
          webhookSecret: 'env:CHAOS_SS_WEBHOOK_TOKEN',
        },
        settings: { apiVersion: 'v1' },
      },
    },
    schedules: {
      erpPoll: { every: '5s' },
      shipmentPoll: { every: '10s' },
      inventorySync: { enabled: false },
    },
    limits: {
      plex: { callsPerMinute: PLEX_PER_MINUTE },
      shipstation: { v1PerMinute: SHIPSTATION_PER_MINUTE },
    },
    mappings: [
      {
        erp: ERP,
        carrier: WAREHOUSE,
        // The simulated warehouse is in the US; Plex keeps no country of origin for a part.
        customs: { originCountry: 'US', defaults: { countryOfManufacture: 'US' } },
      },
    ],
  };
}

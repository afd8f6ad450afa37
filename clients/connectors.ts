// The composition root of the connectors: for each configured connection, decide whether it talks
// to the real system or to a simulator, resolve its credentials, and build the ports, tests and
// webhook receivers its system's module (connectors/registry.ts) provides. No system is named here.

import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Client } from '@temporalio/client';
import type { CarrierPort, ErpPort, FulfilmentPort } from '../connectors/ports';
import type { OrderRoute, WarehouseRouting } from '../activities/orders/activities';
import { DEFAULT_CUSTOMS } from '../domain/customs';
import { mappingProblem } from '../connectors/capabilities';
import type {
  DemoOrder,
  LiveConnection,
  SystemModule,
  SystemRuntime,
  TestOutcome,
} from '../connectors/kit/system';
import { SYSTEMS, systemOf } from '../connectors/registry';
import { requiredCredentials, type Config, type ConnectionConfig } from '../lib/config';
import type { Repos } from '../lib/db/repos';
import type { Database } from '../lib/db/types';
import type { Handler } from '../lib/http-routes';
import { resolveCredential, type Vault } from '../lib/vault';
import type { TrackingUpdate } from '../domain/model';
import type { FulfilmentMode } from '../domain/fulfilment';
import type { ShipmentMappingConfig } from '../domain/shipment-request';
import { claimDemoRun, type DemoRun } from './demo-run';

export type { LiveConnection } from '../connectors/kit/system';

export interface ConnectorDeps {
  config: Config;
  db: Kysely<Database>;
  repos: Repos;
  vault: Vault;
  log: Logger;
  env: NodeJS.ProcessEnv;
  /** Only `start` runs simulators; the production roles need real credentials. */
  simulators: boolean;
  /** Base URL of this app's HTTP server, where simulators push their webhooks. */
  httpBaseUrl: string;
}

export interface Connectors {
  live: Map<string, LiveConnection>;
  erp(name: string): ErpPort;
  carrier(name: string): CarrierPort;
  route(erpConnection: string): OrderRoute;
  /** The warehouse system behind a carrier connection that ships orders itself. */
  fulfilment(name: string): FulfilmentPort;
  /**
   * Webhook receivers of every active connection, keyed "POST /webhooks/<system>/<connection>[...]".
   * Whatever a receiver needs running behind it (a drainer) starts here; stop() ends it.
   */
  webhookRoutes(
    onTracking: (shipment: { id: string; workflowId: string }, update: TrackingUpdate) => Promise<void>,
    temporal?: Client,
  ): Record<string, Handler>;
  /** Once the HTTP server listens: simulators' webhook subscriptions (start only). */
  afterListen(): Promise<void>;
  testConnection(name: string): Promise<TestOutcome>;
  /**
   * Seed demo orders into the simulated ERP: which connection, and each order's key and number
   * (`invalid` names the data problem a person must fix). Undefined without a simulated ERP.
   */
  seedDemoOrders(count: number): DemoSeeding | undefined;
  /** The simulator behind a connection (its own type), when it is simulated. */
  simulator<T>(connection: string): T | undefined;
  /** Ends what the runtimes started (waiting for the webhook delivery each drainer is processing), then the simulators. */
  stop(): Promise<void>;
}

export interface DemoSeeding {
  connection: string;
  orders: DemoOrder[];
}

export const webhookPath = (system: string, connection: string) => `/webhooks/${system}/${connection}`;

/** Resolve a connection's credential references; required ones that are missing are listed, never their values. */
export async function resolveCredentials(
  conn: ConnectionConfig,
  deps: { vault: Vault; env: NodeJS.ProcessEnv },
): Promise<{ values: Record<string, string>; missing: string[]; problems: Record<string, string> }> {
  const required = requiredCredentials(conn, systemOf(conn.system));
  const values: Record<string, string> = {};
  const missing: string[] = [];
  const problems: Record<string, string> = {};
  for (const [field, reference] of Object.entries(conn.credentials)) {
    if (!reference) continue;
    try {
      values[field] = await resolveCredential(reference, deps);
    } catch (err) {
      problems[field] = (err as Error).message;
      if (required.includes(field)) missing.push(field);
    }
  }
  for (const field of required) {
    if (!conn.credentials[field] && !missing.includes(field)) {
      missing.push(field);
      problems[field] = 'is not configured';
    }
  }
  return { values, missing, problems };
}

/**
 * Decide, per connection, whether it talks to the real system or to a simulator (`simulator: auto`
 * simulates when a required credential is missing), start the simulators, and open each system's
 * runtime over its active connections.
 */
export async function buildConnectors(deps: ConnectorDeps): Promise<Connectors> {
  const { config, log } = deps;
  const live = new Map<string, LiveConnection>();
  // The simulators' seed and the demo's order numbers, from the data folder's run count: each run
  // seeds orders and tracking numbers new to the database it shares with earlier runs.
  let demoRun: DemoRun | undefined;
  const run = () => (demoRun ??= claimDemoRun(config.dataDir));
  const simulatorsStarted: LiveConnection[] = [];
  const stopSimulators = async () => {
    for (const c of simulatorsStarted.splice(0).reverse())
      await c
        .simulator!.stop()
        .catch((err: Error) => log.warn({ err: err.message }, 'simulator stop failed'));
  };

  // A system's environment override applies when the configuration has exactly one connection of it.
  const overrides = new Map<string, NonNullable<ReturnType<NonNullable<SystemModule['fromEnvironment']>>>>();
  for (const system of SYSTEMS) {
    const override = system.fromEnvironment?.(deps.env);
    if (!override) continue;
    const names = Object.entries(config.connections).filter(([, c]) => c.system === system.id);
    if (names.length !== 1) {
      throw new Error(
        `the ${system.title} variables in the environment need exactly one ${system.title} connection in the configuration (found ${names.length})`,
      );
    }
    overrides.set(names[0]![0], override);
  }

  // ERPs first: a simulated warehouse stocks the parts the simulated ERPs' demo orders use.
  const ordered = Object.entries(config.connections).sort(
    ([, a], [, b]) => Number(systemOf(a.system).role !== 'erp') - Number(systemOf(b.system).role !== 'erp'),
  );
  try {
    for (const [name, conn] of ordered) {
      const system = systemOf(conn.system);
      const override = overrides.get(name);
      if (override) {
        log.info(
          { connection: name, baseUrl: override.baseUrl },
          `${system.title} connection taken from the environment; no simulator`,
        );
        const { values } = await resolveCredentials(conn, deps);
        live.set(name, {
          name,
          config: conn,
          baseUrl: override.baseUrl,
          credentials: { ...values, ...override.credentials },
          settings: { ...conn.settings, ...override.settings },
          simulated: false,
        });
        continue;
      }
      const { values, missing } = await resolveCredentials(conn, deps);
      const simulate = conn.simulator === 'always' || (conn.simulator === 'auto' && missing.length > 0);
      if (!simulate) {
        if (missing.length > 0) {
          throw new Error(
            `connection ${name}: credential(s) ${missing.join(', ')} not found and simulator is "never" ` +
              '(store them with `ml-connector secrets set <ref>` or set simulator: auto)',
          );
        }
        live.set(name, {
          name,
          config: conn,
          baseUrl: conn.baseUrl ?? system.defaultBaseUrl(conn.settings)!,
          credentials: values,
          settings: conn.settings,
          simulated: false,
        });
        continue;
      }
      if (!deps.simulators) {
        throw new Error(
          `connection ${name}: credential(s) ${missing.join(', ')} not found (simulators run only with \`start\`)`,
        );
      }
      if (!system.simulator || !system.open) {
        log.warn(
          { connection: name, system: conn.system },
          'no simulator exists for this system yet; connection inactive',
        );
        continue;
      }
      const sim = await system.simulator({
        connection: name,
        settings: conn.settings,
        seed: run().seed,
        webhookUrl: `${deps.httpBaseUrl}${webhookPath(system.id, name)}`,
        demoSkus: simulatorsStarted.flatMap((c) => c.simulator!.demoSkus ?? []),
      });
      const connection: LiveConnection = {
        name,
        config: conn,
        baseUrl: sim.baseUrl,
        credentials: sim.credentials,
        settings: conn.settings,
        simulated: true,
        simulator: sim,
      };
      simulatorsStarted.push(connection);
      live.set(name, connection);
      log.info({ connection: name, system: conn.system, url: sim.baseUrl }, 'simulator started');
    }
  } catch (err) {
    await stopSimulators();
    throw err;
  }

  // One runtime per system, over its active connections.
  const runtimes = new Map<string, SystemRuntime>();
  for (const system of SYSTEMS) {
    const mine = new Map([...live].filter(([, c]) => c.config.system === system.id));
    if (mine.size === 0 || !system.open) continue;
    runtimes.set(system.id, system.open({ ...deps, connections: mine }));
  }
  const runtimeOf = (name: string, role: string): SystemRuntime => {
    const c = live.get(name);
    if (!c) throw new Error(`${role} connection ${name} is not active (no credentials and no simulator)`);
    const r = runtimes.get(c.config.system);
    if (!r) throw new Error(`no connector for ${c.config.system} yet (connection ${name})`);
    return r;
  };
  const port = <T>(name: string, get: ((n: string) => T) | undefined, what: string): T => {
    if (!get) throw new Error(`connection ${name} is ${live.get(name)!.config.system}, not ${what}`);
    return get(name);
  };
  const erp = (name: string): ErpPort => {
    const r = runtimeOf(name, 'ERP');
    return port(name, r.erp, 'an ERP');
  };
  const carrier = (name: string): CarrierPort => {
    const r = runtimeOf(name, 'carrier');
    return port(name, r.carrier, 'a carrier that makes labels');
  };
  const fulfilment = (name: string): FulfilmentPort => {
    const r = runtimeOf(name, 'warehouse');
    return port(name, r.fulfilment, 'a warehouse system');
  };

  /** A warehouse system ships the orders itself; a label carrier sells the connector labels. */
  const modeOf = (carrierConnection: string): FulfilmentMode =>
    systemOf(config.connections[carrierConnection]!.system).mode ?? 'label';

  const route = (erpConnection: string): OrderRoute => {
    const m = config.mappings.find((x) => x.erp === erpConnection);
    if (!m) throw new Error(`no mapping for ERP connection ${erpConnection} (add one under mappings:)`);
    const carrierSystem = config.connections[m.carrier]!.system;
    if (modeOf(m.carrier) === 'warehouse') {
      // The warehouse system knows its ship-from address; customs only needs its country.
      const { originCountry, ...customs } = m.customs ?? { originCountry: undefined, ...DEFAULT_CUSTOMS };
      const warehouse: WarehouseRouting = {
        originCountry: m.shipFrom?.countryCode ?? originCountry ?? 'US',
        customs,
      };
      return { carrierConnection: m.carrier, carrier: carrierSystem, mode: 'warehouse', warehouse };
    }
    if (!m.shipFrom) throw new Error(`mapping ${m.erp} -> ${m.carrier} has no shipFrom`);
    const routing: ShipmentMappingConfig = {
      shipFrom: m.shipFrom,
      serviceLevels: m.serviceLevels,
      defaultService: m.defaultService,
      ...(m.packing ? { packing: m.packing } : {}),
      ...(m.label ? { label: m.label } : {}),
      ...(m.payment ? { payment: m.payment } : {}),
      ...(m.packagingType ? { packagingType: m.packagingType } : {}),
      ...(m.divisions ? { divisions: m.divisions } : {}),
      ...(m.costCenters ? { costCenters: m.costCenters } : {}),
      ...(m.customs ? { customs: m.customs } : {}),
    };
    return { carrierConnection: m.carrier, carrier: carrierSystem, routing, mode: 'label' };
  };

  const stopRuntimes = async () => {
    for (const r of runtimes.values()) await r.stop?.();
  };

  // A mapping its ERP cannot serve stops the start here, in one line, not at the first order.
  const problem = mappingProblem(
    config.mappings
      .filter((m) => runtimes.has(live.get(m.erp)?.config.system ?? '') && live.has(m.carrier))
      .map((m) => ({ erp: m.erp, carrier: m.carrier, mode: modeOf(m.carrier) })),
    (name) => erp(name).capabilities,
  );
  if (problem) {
    await stopSimulators();
    throw new Error(problem);
  }

  return {
    live,
    erp,
    carrier,
    route,
    fulfilment,
    simulator: <T>(name: string) => live.get(name)?.simulator?.handle as T | undefined,
    webhookRoutes(onTracking, temporal) {
      const routes: Record<string, Handler> = {};
      const intake = temporal ? { client: temporal, repos: deps.repos, log } : undefined;
      for (const [name, c] of live) {
        const r = runtimes.get(c.config.system);
        if (!r?.webhookRoutes) continue;
        Object.assign(routes, r.webhookRoutes(name, { onTracking, ...(intake ? { intake } : {}) }));
      }
      return routes;
    },
    async testConnection(name) {
      const c = config.connections[name];
      if (!c) return unknownConnection(config);
      const r = runtimes.get(c.system);
      if (!live.has(name) || !r) return testConnectionFromConfig(name, { ...deps });
      try {
        return await r.test(name);
      } catch (err) {
        return { ok: false, reason: 'error', message: (err as Error).message };
      }
    },
    async afterListen() {
      for (const [name, c] of live)
        await runtimes.get(c.config.system)?.afterListen?.(name, deps.httpBaseUrl);
    },
    seedDemoOrders(count) {
      const erpSim = simulatorsStarted.find((c) => c.simulator!.seedDemoOrders);
      if (!erpSim) return undefined;
      const { seed, firstOrderNumber } = run();
      return {
        connection: erpSim.name,
        orders: erpSim.simulator!.seedDemoOrders!(count, { seed, firstOrderNumber }),
      };
    },
    async stop() {
      // The runtimes first: the delivery a drainer is processing may still need a simulator,
      // Temporal and the database.
      await stopRuntimes();
      await stopSimulators();
    },
  };
}

/** The `reason` of a test of a name the configuration does not have (the operator API answers it with 404). */
export const UNKNOWN_CONNECTION = 'unknown_connection';

function unknownConnection(config: Config): TestOutcome {
  const known = Object.keys(config.connections);
  return {
    ok: false,
    reason: UNKNOWN_CONNECTION,
    message: `no connection with that name (configured: ${known.join(', ') || 'none'})`,
  };
}

export interface ConnectionTestDeps {
  config: Config;
  db: Kysely<Database>;
  vault: Vault;
  repos: Repos;
  log: Logger;
  env?: NodeJS.ProcessEnv;
  /** Per-request timeout (default 10 s). */
  timeoutMs?: number;
  /** Where to reach the connection instead of its configuration and the vault (a simulator's URL and credentials). */
  live?: (name: string) => { baseUrl: string; credentials: Record<string, string> } | undefined;
}

/**
 * Test one configured connection outside the running app (`ml-connector connections test`): its
 * credentials from the vault or the environment, its system's own check. Expected failures come
 * back as results, never as throws.
 */
export async function testConnectionFromConfig(name: string, deps: ConnectionTestDeps): Promise<TestOutcome> {
  const conn = deps.config.connections[name];
  if (!conn) return unknownConnection(deps.config);
  const system = systemOf(conn.system);
  if (!system.open) {
    return { ok: false, reason: 'error', message: `no connection test exists for ${conn.system} yet` };
  }
  const env = deps.env ?? process.env;
  let connection: LiveConnection;
  const given = deps.live?.(name);
  if (given) {
    connection = { name, config: conn, settings: conn.settings, simulated: false, ...given };
  } else {
    const { values, problems } = await resolveCredentials(conn, { vault: deps.vault, env });
    const required = system.requiredCredentials(conn.settings);
    const field = required.find((f) => problems[f]);
    if (field) {
      const problem = problems[field]!;
      return {
        ok: false,
        reason: system.missingCredentialReason ?? 'bad_credentials',
        message:
          problem === 'is not configured'
            ? `credentials.${field} is not configured`
            : `credentials.${field}: ${problem}`,
      };
    }
    const baseUrl = conn.baseUrl ?? system.defaultBaseUrl(conn.settings);
    if (!baseUrl)
      return { ok: false, reason: 'error', message: `baseUrl is not configured for ${conn.system}` };
    connection = {
      name,
      config: conn,
      baseUrl,
      credentials: values,
      settings: conn.settings,
      simulated: false,
    };
  }
  try {
    const runtime = system.open({
      config: deps.config,
      db: deps.db,
      repos: deps.repos,
      vault: deps.vault,
      log: deps.log,
      env,
      connections: new Map([[name, connection]]),
      actor: 'cli:connections-test',
      testTimeoutMs: deps.timeoutMs ?? 10_000,
    });
    return await runtime.test(name);
  } catch (err) {
    return { ok: false, reason: 'error', message: (err as Error).message };
  }
}

/** ERP and carrier connections that a mapping uses and that are active. */
export function activeConnections(config: Config, live: ReadonlyMap<string, LiveConnection>) {
  const used = new Set(config.mappings.flatMap((m) => [m.erp, m.carrier]));
  const names = [...live.keys()].filter((n) => used.has(n));
  const role = (n: string) => systemOf(live.get(n)!.config.system).role;
  return {
    erps: names.filter((n) => role(n) === 'erp'),
    carriers: names.filter((n) => role(n) === 'carrier'),
  };
}

import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { CarrierPort, ErpPort, FulfilmentPort } from '../connectors/ports';
import type { OrderRoute } from '../activities/orders/activities';
import {
  createFedexActivities,
  createFedexClientFactory,
  fedexDemoOverride,
} from '../connectors/fedex/activities';
import { createPlexActivities, createPlexClientFactory, plexErpPort } from '../connectors/plex/activities';
import { parseReadyState } from '../connectors/plex/mapping';
import { plexLimitKey, plexRateLimit } from '../connectors/plex/client';
import { PostgresSlidingLimiter } from '../lib/ratelimit';
import {
  isCarrierSystem,
  isErpSystem,
  requiredCredentials,
  type Config,
  type ConnectionConfig,
} from '../lib/config';
import type { Repos } from '../lib/db/repos';
import type { Database } from '../lib/db/types';
import { resolveCredential, type Vault } from '../lib/vault';
import { registerSecret } from '../lib/logger';
import type { TrackingUpdate } from '../domain/model';
import type { ShipmentMappingConfig } from '../domain/shipment-request';
import { startFedexSimulator, type FedexSimulator } from '../simulators/fedex';
import { CATALOG_PART_NUMBERS, startPlexSimulator, type PlexSimulator } from '../simulators/plex';
import { startShipStationSimulator, type ShipStationSimulator } from '../simulators/shipstation';
import {
  createShipStationClientFactory,
  shipStationFulfilmentPort,
  type ShipStationConnectionSettings,
} from '../connectors/shipstation/activities';
import { shipStationWebhookRoutes } from './http/webhooks/shipstation';
import { ShipStationWebhookDrainer } from './http/webhooks/shipstation-drain';
import type { Client } from '@temporalio/client';
import { fedexWebhookRoute } from './http/webhooks/fedex';
import { testConnection } from './cli/connections';
import type { Handler } from './http/server';
import { claimDemoRun, type DemoRun } from './demo-run';
import { mappingProblem } from '../connectors/capabilities';
import type { FulfilmentMode } from '../domain/fulfilment';

/** A connection as the running app sees it: where to reach it and with which credentials. */
export interface LiveConnection {
  name: string;
  config: ConnectionConfig;
  baseUrl: string;
  /** Resolved credential values by field name. Never logged. */
  credentials: Record<string, string>;
  simulated: boolean;
  /** FedEx account number in use (the config's, or the FEDEX_ACCOUNT_NUMBER override). */
  accountNumber?: string;
}

/** Speed of the simulators `start` runs, so a demo order is delivered within a minute or two. */
export const DEMO_SIMULATOR_SPEED = {
  fedexClockSpeed: 7200,
  plexCallsPerMinute: 6000,
  /**
   * The simulated warehouse ships an order 10 s after it arrives, on a real-time clock: its
   * shipments carry real timestamps, so the shipment poll sees them as well as the webhooks.
   */
  shipStationClockSpeed: 1,
  shipStationShipAfterSeconds: 10,
  /** ShipStation's 40/min V1 limit would make a 30-order demo take minutes; the simulator allows this. */
  shipStationV1PerMinute: 600,
};

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
  /** The warehouse system behind a carrier connection (ShipStation). */
  fulfilment(name: string): FulfilmentPort;
  /**
   * Webhook receivers, keyed "POST /webhooks/<system>/<connection>[...]". Each ShipStation
   * connection's webhook drainer starts here (it processes what the receiver stores); stop() ends it.
   */
  webhookRoutes(
    onTracking: (shipment: { id: string; workflowId: string }, update: TrackingUpdate) => Promise<void>,
    temporal?: Client,
  ): Record<string, Handler>;
  /** Subscribe the simulated warehouses' shipment and order webhooks to this app (start only). */
  subscribeSimulatorWebhooks(): Promise<void>;
  testConnection(name: string): Promise<{ ok: boolean; reason: string; message: string }>;
  /**
   * Seed demo orders into the simulated ERP: which connection, and each order's key and number
   * (`invalid` names the data problem a person must fix). Undefined without a simulated ERP.
   */
  seedDemoOrders(count: number): DemoSeeding | undefined;
  plexSimulator?: PlexSimulator;
  fedexSimulator?: FedexSimulator;
  shipStationSimulator?: ShipStationSimulator;
  /** Closes the webhook drainers (waiting for the delivery each is processing), then the simulators. */
  stop(): Promise<void>;
}

export interface DemoSeeding {
  connection: string;
  orders: Array<{ orderKey: string; orderNumber: string; invalid?: string }>;
}

export const webhookPath = (system: string, connection: string) => `/webhooks/${system}/${connection}`;
/** V1 webhooks are unsigned: the secret token in the path is what proves the caller knows it. */
export const shipStationWebhookPath = (connection: string, token: string) =>
  `${webhookPath('shipstation', connection)}/${encodeURIComponent(token)}`;

/**
 * Decide, per connection, whether it talks to the real system or to a simulator (`simulator: auto`
 * simulates when a required credential is missing), start the simulators, and build the ERP and
 * carrier ports the order activities use.
 */
export async function buildConnectors(deps: ConnectorDeps): Promise<Connectors> {
  const { config, log } = deps;
  const live = new Map<string, LiveConnection>();
  const stops: Array<() => Promise<void>> = [];
  const webhookSecrets = new Map<string, string>();
  const drainers: ShipStationWebhookDrainer[] = [];
  let plexSim: PlexSimulator | undefined;
  let plexSimConnection: string | undefined;
  // The simulators' seed and the demo's order numbers, from the data folder's run count: each run
  // seeds orders and tracking numbers new to the database it shares with earlier runs.
  let demoRun: DemoRun | undefined;
  const run = () => (demoRun ??= claimDemoRun(config.dataDir));
  let fedexSim: FedexSimulator | undefined;
  let shipStationSim: ShipStationSimulator | undefined;

  // The demo's FedEx connection may point at the FedEx sandbox through FEDEX_* variables.
  const fedexNames = Object.entries(config.connections)
    .filter(([, c]) => c.system === 'fedex')
    .map(([n]) => n);
  const override = fedexDemoOverride(deps.env);
  if (override && fedexNames.length !== 1) {
    throw new Error(
      `FEDEX_* variables need exactly one FedEx connection in the configuration (found ${fedexNames.length})`,
    );
  }

  try {
    for (const [name, conn] of Object.entries(config.connections)) {
      const credentials: Record<string, string> = {};
      const missing: string[] = [];
      const refs = conn.credentials as Record<string, string | undefined>;
      for (const [field, reference] of Object.entries(refs)) {
        if (!reference) continue;
        try {
          credentials[field] = await resolveCredential(reference, { vault: deps.vault, env: deps.env });
        } catch {
          if (requiredCredentials(conn).includes(field)) missing.push(field);
        }
      }
      for (const field of requiredCredentials(conn)) {
        if (!refs[field] && !missing.includes(field)) missing.push(field);
      }
      if (credentials.webhookSecret) webhookSecrets.set(name, credentials.webhookSecret);

      if (conn.system === 'fedex' && override) {
        log.info(
          { connection: name, baseUrl: override.baseUrl },
          'FedEx connection taken from FEDEX_* variables; no simulator',
        );
        live.set(name, {
          name,
          config: conn,
          baseUrl: override.baseUrl,
          credentials: { ...credentials, ...override.credentials },
          simulated: false,
          accountNumber: override.accountNumber,
        });
        continue;
      }

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
          baseUrl: conn.baseUrl!,
          credentials,
          simulated: false,
          accountNumber: conn.system === 'fedex' ? conn.settings.accountNumber : undefined,
        });
        continue;
      }
      if (!deps.simulators) {
        throw new Error(
          `connection ${name}: credential(s) ${missing.join(', ')} not found (simulators run only with \`start\`)`,
        );
      }

      if (conn.system === 'fedex') {
        const creds = { clientId: `sim-${name}`, clientSecret: randomBytes(16).toString('hex') };
        const securityToken = randomBytes(24).toString('base64url');
        fedexSim = await startFedexSimulator({
          clients: [{ ...creds, accounts: [conn.settings.accountNumber] }],
          clockSpeed: DEMO_SIMULATOR_SPEED.fedexClockSpeed,
          seed: run().seed,
          webhook: { url: `${deps.httpBaseUrl}${webhookPath('fedex', name)}`, securityToken },
        });
        stops.push(() => fedexSim!.stop());
        webhookSecrets.set(name, securityToken);
        live.set(name, {
          name,
          config: conn,
          baseUrl: fedexSim.url,
          credentials: creds,
          simulated: true,
          accountNumber: conn.settings.accountNumber,
        });
      } else if (conn.system === 'plex') {
        const apiKey = randomBytes(16).toString('hex');
        plexSim = await startPlexSimulator({
          keys: [{ apiKey }],
          rateLimitPerMinute: DEMO_SIMULATOR_SPEED.plexCallsPerMinute,
          seed: run().seed,
        });
        plexSimConnection = name;
        stops.push(() => plexSim!.stop());
        live.set(name, {
          name,
          config: conn,
          baseUrl: plexSim.url,
          credentials: { apiKey },
          simulated: true,
        });
      } else if (conn.system === 'shipstation') {
        const v1 = { apiKey: randomBytes(12).toString('hex'), apiSecret: randomBytes(16).toString('hex') };
        const v2ApiKey = randomBytes(16).toString('hex');
        shipStationSim = await startShipStationSimulator({
          v1Keys: [v1],
          v2Keys: [v2ApiKey],
          v1RateLimitPerMinute: DEMO_SIMULATOR_SPEED.shipStationV1PerMinute,
          clockSpeed: DEMO_SIMULATOR_SPEED.shipStationClockSpeed,
          seed: run().seed,
          shipAfterSeconds: DEMO_SIMULATOR_SPEED.shipStationShipAfterSeconds,
          // The demo ERP's parts, held nowhere yet: the inventory sync brings Plex's figures.
          inventory: Object.fromEntries(CATALOG_PART_NUMBERS.map((sku) => [sku, 0])),
        });
        stops.push(() => shipStationSim!.stop());
        const webhookSecret = randomBytes(24).toString('base64url');
        registerSecret(webhookSecret); // it is part of the webhook URL: masked wherever that is logged
        webhookSecrets.set(name, webhookSecret);
        live.set(name, {
          name,
          config: conn,
          baseUrl: shipStationSim.url,
          credentials: { ...v1, v2ApiKey, webhookSecret },
          simulated: true,
        });
      } else {
        log.warn(
          { connection: name, system: conn.system },
          'no simulator exists for this system yet; connection inactive',
        );
        continue;
      }
      log.info({ connection: name, system: conn.system, url: live.get(name)!.baseUrl }, 'simulator started');
    }
  } catch (err) {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    throw err;
  }

  const get = (name: string, system: string): LiveConnection => {
    const c = live.get(name);
    if (!c) throw new Error(`connection ${name} is not active (no credentials and no simulator)`);
    if (c.config.system !== system)
      throw new Error(`connection ${name} is ${c.config.system}, not ${system}`);
    return c;
  };

  const fedexActivities = createFedexActivities({
    repos: deps.repos,
    log,
    clients: createFedexClientFactory({
      db: deps.db,
      vault: deps.vault,
      repos: deps.repos,
      limits: config.limits.fedex,
      log,
      settings: (n) => {
        const c = get(n, 'fedex');
        return {
          baseUrl: c.baseUrl,
          clientId: c.credentials.clientId!,
          clientSecret: c.credentials.clientSecret!,
          childKey: c.credentials.childKey,
          childSecret: c.credentials.childSecret,
          accountNumber: c.accountNumber!,
        };
      },
    }),
  });

  // Plex allows 200 calls a minute per key; the demo's simulator runs faster so 50 orders take a
  // minute, not ten.
  const simulatedPlexKeys = new Set(
    [...live.values()]
      .filter((c) => c.simulated && c.config.system === 'plex')
      .map((c) => plexLimitKey(c.credentials.apiKey!)),
  );
  const plexLimiter = new PostgresSlidingLimiter(deps.db, (key) =>
    plexRateLimit(
      simulatedPlexKeys.has(key)
        ? DEMO_SIMULATOR_SPEED.plexCallsPerMinute
        : config.limits.plex.callsPerMinute,
    ),
  );
  const plexActivities = createPlexActivities({
    audit: deps.repos.audit,
    log,
    clients: createPlexClientFactory({
      db: deps.db,
      callsPerMinute: config.limits.plex.callsPerMinute,
      limiter: plexLimiter,
      log,
      settings: (n) => {
        const c = get(n, 'plex');
        const s = c.config.system === 'plex' ? c.config.settings : undefined;
        return {
          baseUrl: c.baseUrl,
          apiKey: c.credentials.apiKey!,
          tenantId: s?.tenantId,
          customerId: s?.pcn,
        };
      },
    }),
    settings: (n) => {
      const c = get(n, 'plex');
      return c.config.system === 'plex'
        ? {
            readyState: parseReadyState(c.config.settings.readyState),
            writeBack: c.config.settings.writeBack,
          }
        : {};
    },
  });

  // ShipStation: 40 calls a minute per V1 key pair and 200 per V2 key, across every worker (the
  // demo's simulator allows more V1 calls, like the Plex one).
  const simulatedShipStation = [...live.values()].some(
    (c) => c.simulated && c.config.system === 'shipstation',
  );
  const shipStationSettings = (n: string): ShipStationConnectionSettings => {
    const c = get(n, 'shipstation');
    const s = c.config.system === 'shipstation' ? c.config.settings : undefined;
    const warehouseId = s?.warehouseId === undefined ? undefined : Number(s.warehouseId);
    return {
      v1BaseUrl: c.baseUrl,
      v2BaseUrl: c.simulated ? c.baseUrl : (s?.v2BaseUrl ?? 'https://api.shipstation.com'),
      apiKey: c.credentials.apiKey!,
      apiSecret: c.credentials.apiSecret ?? '',
      ...(c.credentials.v2ApiKey ? { v2ApiKey: c.credentials.v2ApiKey } : {}),
      ...(s?.storeId !== undefined ? { storeId: s.storeId } : {}),
      ...(warehouseId !== undefined && Number.isSafeInteger(warehouseId) ? { warehouseId } : {}),
      ...(s?.inventory?.skus ? { inventorySkus: s.inventory.skus } : {}),
      ...(s?.inventory?.locationId ? { inventoryLocationId: s.inventory.locationId } : {}),
    };
  };
  const shipStationClients = createShipStationClientFactory({
    db: deps.db,
    limits: simulatedShipStation
      ? { ...config.limits.shipstation, v1PerMinute: DEMO_SIMULATOR_SPEED.shipStationV1PerMinute }
      : config.limits.shipstation,
    settings: shipStationSettings,
    log,
  });
  const shipStationPortDeps = {
    client: shipStationClients,
    settings: shipStationSettings,
    fulfilment: deps.repos.fulfilment,
    audit: deps.repos.audit,
    log,
  };

  const fulfilment = (name: string): FulfilmentPort => {
    const c = live.get(name);
    if (!c) throw new Error(`warehouse connection ${name} is not active`);
    if (c.config.system !== 'shipstation')
      throw new Error(`connection ${name} is ${c.config.system}, not a warehouse system`);
    return shipStationFulfilmentPort(shipStationPortDeps, name);
  };

  const erp = (name: string): ErpPort => {
    const c = live.get(name);
    if (!c) throw new Error(`ERP connection ${name} is not active`);
    switch (c.config.system) {
      case 'plex':
        return plexErpPort(plexActivities, name);
      default:
        throw new Error(`no ERP connector for ${c.config.system} yet (connection ${name})`);
    }
  };

  const carrier = (name: string): CarrierPort => {
    const c = live.get(name);
    if (!c) throw new Error(`carrier connection ${name} is not active`);
    switch (c.config.system) {
      case 'fedex':
        return {
          createShipment: (i) => fedexActivities.fedexCreateShipment({ ...i, carrierConnection: name }),
          track: async (trackingNumbers) => {
            // Every update (stored once either way); the sweep decides what is news for each order.
            return await fedexActivities.fedexTrack({
              carrierConnection: name,
              trackingNumbers,
              only: 'all',
            });
          },
          cancelShipment: async (idempotencyKey) => {
            await fedexActivities.fedexCancelShipment({ carrierConnection: name, idempotencyKey });
          },
        };
      default:
        throw new Error(`no carrier connector for ${c.config.system} yet (connection ${name})`);
    }
  };

  /** A warehouse system ships the orders itself; a label carrier sells the connector labels. */
  const modeOf = (carrierConnection: string): FulfilmentMode =>
    config.connections[carrierConnection]!.system === 'shipstation' ? 'warehouse' : 'label';

  const route = (erpConnection: string): OrderRoute => {
    const m = config.mappings.find((x) => x.erp === erpConnection);
    if (!m) throw new Error(`no mapping for ERP connection ${erpConnection} (add one under mappings:)`);
    const carrierConn = config.connections[m.carrier]!;
    if (modeOf(m.carrier) === 'warehouse') {
      return { carrierConnection: m.carrier, carrier: carrierConn.system, mode: 'warehouse' };
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
    };
    return { carrierConnection: m.carrier, carrier: carrierConn.system, routing, mode: 'label' };
  };

  // A mapping its ERP cannot serve stops the start here, in one line, not at the first order.
  const problem = mappingProblem(
    config.mappings
      .filter((m) => live.has(m.erp) && live.has(m.carrier))
      .map((m) => ({ erp: m.erp, carrier: m.carrier, mode: modeOf(m.carrier) })),
    (name) => erp(name).capabilities,
  );
  if (problem) {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    throw new Error(problem);
  }

  return {
    live,
    erp,
    carrier,
    route,
    fulfilment,
    plexSimulator: plexSim,
    fedexSimulator: fedexSim,
    shipStationSimulator: shipStationSim,
    webhookRoutes(onTracking, temporal) {
      const routes: Record<string, Handler> = {};
      for (const [name, c] of live) {
        if (c.config.system !== 'shipstation' || !temporal) continue;
        const port = fulfilment(name);
        const intake = { client: temporal, repos: deps.repos, log };
        const drainer = new ShipStationWebhookDrainer({
          connection: name,
          port,
          intake,
          inbox: deps.repos.webhookInbox,
          log,
        });
        drainers.push(drainer);
        drainer.start();
        Object.assign(
          routes,
          shipStationWebhookRoutes({
            connection: name,
            v1Token: c.credentials.webhookSecret,
            jwksUrl: c.simulated
              ? shipStationSim!.jwksUrl
              : c.config.system === 'shipstation'
                ? c.config.settings.webhookJwksUrl
                : undefined,
            port,
            intake,
            inbox: deps.repos.webhookInbox,
            drainer,
            log,
          }),
        );
      }
      for (const [name, secret] of webhookSecrets) {
        if (live.get(name)?.config.system !== 'fedex') continue;
        routes[`POST ${webhookPath('fedex', name)}`] = fedexWebhookRoute({
          securityToken: secret,
          inbox: deps.repos.webhookInbox,
          tracking: deps.repos,
          log,
          onEvent: async (e) => {
            if (e.shipment) await onTracking(e.shipment, e.update);
          },
        });
      }
      return routes;
    },
    testConnection: (name) =>
      testConnection(name, {
        config,
        db: deps.db,
        vault: deps.vault,
        log,
        env: deps.env,
        live: (n) => {
          const c = live.get(n);
          return c && { baseUrl: c.baseUrl, credentials: c.credentials, accountNumber: c.accountNumber };
        },
        limiters: { plex: plexLimiter },
      }),
    async subscribeSimulatorWebhooks() {
      for (const c of live.values()) {
        if (!c.simulated || c.config.system !== 'shipstation') continue;
        const client = shipStationClients(c.name);
        const targetUrl = `${deps.httpBaseUrl}${shipStationWebhookPath(c.name, c.credentials.webhookSecret!)}`;
        const existing = await client.listWebhooks();
        for (const event of ['SHIP_NOTIFY', 'ORDER_NOTIFY'] as const) {
          if (existing.some((w) => w.HookType === event && w.Url === targetUrl)) continue;
          await client.subscribeWebhook({ targetUrl, event, friendlyName: `ml-connector ${event}` });
        }
      }
    },
    seedDemoOrders(count) {
      if (!plexSim || !plexSimConnection) return undefined;
      const { seed, firstOrderNumber } = run();
      const seeded = plexSim.seedOrders(count, { seed, firstOrderNumber });
      return {
        connection: plexSimConnection,
        orders: seeded.map((o) => ({
          orderKey: o.orderKey,
          orderNumber: o.orderNumber,
          ...(o.invalid ? { invalid: o.invalid } : {}),
        })),
      };
    },
    async stop() {
      // The drainers first: the row in progress may still need a simulator, Temporal and the database.
      await Promise.all(drainers.splice(0).map((d) => d.close()));
      for (const stop of stops.reverse())
        await stop().catch((err: Error) => log.warn({ err: err.message }, 'simulator stop failed'));
    },
  };
}

/** ERP and carrier connections that a mapping uses and that are active. */
export function activeConnections(config: Config, live: ReadonlyMap<string, LiveConnection>) {
  const used = new Set(config.mappings.flatMap((m) => [m.erp, m.carrier]));
  const names = [...live.keys()].filter((n) => used.has(n));
  return {
    erps: names.filter((n) => isErpSystem(live.get(n)!.config.system)),
    carriers: names.filter((n) => isCarrierSystem(live.get(n)!.config.system)),
  };
}

// ShipStation as a system of the app: a warehouse that ships orders itself. Its configuration, its
// simulator, the fulfilment port each connection gets, and its webhooks with their drainer
// (connectors/kit/system.ts says what each part is for).

import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { httpUrl, nonEmpty, positiveInt } from '../../lib/config';
import { PostgresSlidingLimiter } from '../../lib/ratelimit';
import { registerSecret } from '../../lib/logger';
import { startShipStationSimulator, type ShipStationSimulator } from '../../simulators/shipstation';
import { readLimits, readSettings, type LiveConnection, type SystemModule } from '../kit/system';
import type { FulfilmentPort } from '../ports';
import {
  createShipStationClientFactory,
  shipStationFulfilmentPort,
  type ShipStationConnectionSettings,
} from './port';
import { shipStationLimitFor } from './transport';
import { ShipStationWebhookDrainer } from './webhook-drain';
import { shipStationWebhookRoutes } from './webhook-routes';

const settings = z
  .strictObject({
    /** v1 (ssapi.shipstation.com, key + secret) or v2 (api.shipstation.com, API key only). */
    apiVersion: z.enum(['v1', 'v2']).default('v1'),
    storeId: positiveInt('the store id, e.g. 12345').optional(),
    /** Ship-from warehouse (advancedOptions.warehouseId) of the orders pushed. */
    warehouseId: z.union([z.string().min(1), z.int().positive()]).optional(),
    /** V2 API (inventory) when it is not https://api.shipstation.com. */
    v2BaseUrl: httpUrl('https://api.shipstation.com').optional(),
    /** Where V2 webhook signing keys are published (default ShipStation's JWKS). */
    webhookJwksUrl: httpUrl('https://api.shipengine.com/jwks').optional(),
    /** Which SKUs' on-hand stock the ERP owns, and the V2 location for SKUs ShipStation holds nowhere yet. */
    inventory: z
      .strictObject({
        skus: z.array(nonEmpty('"GSK-0310"')).optional(),
        locationId: nonEmpty('"se-123456"').optional(),
      })
      .optional(),
  })
  .prefault({});

const limits = z
  .strictObject({
    v1PerMinute: positiveInt('e.g. 40').default(40),
    v2PerMinute: positiveInt('e.g. 200').default(200),
  })
  .prefault({});

/** Speed of the demo's simulated warehouse, so a demo order ships within seconds. */
const DEMO = {
  /** It ships an order 10 s after it arrives, on a real-time clock: its shipments carry real timestamps. */
  clockSpeed: 1,
  shipAfterSeconds: 10,
  /** The real 40/min V1 limit would make a 30-order demo take minutes; the simulator allows this. */
  v1PerMinute: 600,
};

/** V1 webhooks are unsigned: the secret token in the path is what proves the caller knows it. */
export const shipStationWebhookPath = (connection: string, token: string) =>
  `/webhooks/shipstation/${connection}/${encodeURIComponent(token)}`;

const settingsOf = readSettings(settings);
const limitsOf = readLimits('shipstation', limits);

export const shipStationSystem: SystemModule = {
  id: 'shipstation',
  title: 'ShipStation',
  role: 'carrier',
  mode: 'warehouse',
  settings,
  limits,
  credentialFields: ['apiKey', 'apiSecret', 'v2ApiKey', 'webhookSecret'],
  requiredCredentials: (s) => (s.apiVersion === 'v2' ? ['apiKey'] : ['apiKey', 'apiSecret']),
  defaultBaseUrl: (s) =>
    s.apiVersion === 'v2' ? 'https://api.shipstation.com' : 'https://ssapi.shipstation.com',
  urlExample: 'https://ssapi.shipstation.com',

  async simulator(opts) {
    const v1 = { apiKey: randomBytes(12).toString('hex'), apiSecret: randomBytes(16).toString('hex') };
    const v2ApiKey = randomBytes(16).toString('hex');
    const sim = await startShipStationSimulator({
      v1Keys: [v1],
      v2Keys: [v2ApiKey],
      v1RateLimitPerMinute: DEMO.v1PerMinute,
      clockSpeed: DEMO.clockSpeed,
      seed: opts.seed,
      shipAfterSeconds: DEMO.shipAfterSeconds,
      // The demo ERP's parts, held nowhere yet: the inventory sync brings the ERP's figures.
      inventory: Object.fromEntries(opts.demoSkus.map((sku) => [sku, 0])),
    });
    const webhookSecret = randomBytes(24).toString('base64url');
    registerSecret(webhookSecret); // it is part of the webhook URL: masked wherever that is logged
    return {
      baseUrl: sim.url,
      credentials: { ...v1, v2ApiKey, webhookSecret },
      handle: sim satisfies ShipStationSimulator,
      limits: { v1PerMinute: DEMO.v1PerMinute },
      stop: () => sim.stop(),
    };
  },

  open(deps) {
    const configured = limitsOf(deps.config);
    // 40 calls a minute per V1 key pair and 200 per V2 key, across every worker (the demo's
    // simulator allows more V1 calls).
    const simulated = [...deps.connections.values()].find((c) => c.simulator?.limits);
    const limitsNow = simulated
      ? { ...configured, ...(simulated.simulator!.limits as Partial<typeof configured>) }
      : configured;
    const live = (name: string): LiveConnection => {
      const c = deps.connections.get(name);
      if (!c) throw new Error(`connection ${name} is not an active ShipStation connection`);
      return c;
    };
    const connectionSettings = (name: string): ShipStationConnectionSettings => {
      const c = live(name);
      const s = settingsOf(c);
      const warehouseId = s.warehouseId === undefined ? undefined : Number(s.warehouseId);
      return {
        v1BaseUrl: c.baseUrl,
        v2BaseUrl: c.simulated ? c.baseUrl : (s.v2BaseUrl ?? 'https://api.shipstation.com'),
        apiKey: c.credentials.apiKey!,
        apiSecret: c.credentials.apiSecret ?? '',
        ...(c.credentials.v2ApiKey ? { v2ApiKey: c.credentials.v2ApiKey } : {}),
        ...(s.storeId !== undefined ? { storeId: s.storeId } : {}),
        ...(warehouseId !== undefined && Number.isSafeInteger(warehouseId) ? { warehouseId } : {}),
        ...(s.inventory?.skus ? { inventorySkus: s.inventory.skus } : {}),
        ...(s.inventory?.locationId ? { inventoryLocationId: s.inventory.locationId } : {}),
      };
    };
    const limiter = new PostgresSlidingLimiter(deps.db, shipStationLimitFor(limitsNow));
    const clients = createShipStationClientFactory({
      db: deps.db,
      limits: limitsNow,
      limiter,
      settings: connectionSettings,
      log: deps.log,
      ...(deps.callTimeoutMs !== undefined ? { timeoutMs: deps.callTimeoutMs } : {}),
    });
    const portDeps = {
      client: clients,
      settings: connectionSettings,
      fulfilment: deps.repos.fulfilment,
      audit: deps.repos.audit,
      log: deps.log,
    };
    const fulfilment = (name: string): FulfilmentPort => shipStationFulfilmentPort(portDeps, name);
    const drainers: ShipStationWebhookDrainer[] = [];

    return {
      fulfilment,
      /** The V1 key pair on one order read and, with a V2 key, one inventory read. */
      test: (name) =>
        createShipStationClientFactory({
          db: deps.db,
          limits: limitsNow,
          limiter,
          settings: connectionSettings,
          log: deps.log,
          timeoutMs: deps.testTimeoutMs ?? 10_000,
        })(name).testConnection(),
      webhookRoutes(name, hooks) {
        if (!hooks.intake) return {};
        const c = live(name);
        const port = fulfilment(name);
        const drainer = new ShipStationWebhookDrainer({
          connection: name,
          port,
          intake: hooks.intake,
          inbox: deps.repos.webhookInbox,
          log: deps.log,
        });
        drainers.push(drainer);
        drainer.start();
        const sim = c.simulator?.handle as ShipStationSimulator | undefined;
        return shipStationWebhookRoutes({
          connection: name,
          v1Token: c.credentials.webhookSecret,
          jwksUrl: sim ? sim.jwksUrl : settingsOf(c).webhookJwksUrl,
          port,
          intake: hooks.intake,
          inbox: deps.repos.webhookInbox,
          drainer,
          log: deps.log,
        });
      },
      /** The simulated warehouse's shipment and order webhooks, pointed at this app. */
      async afterListen(name, appUrl) {
        const c = live(name);
        if (!c.simulated) return;
        const client = clients(name);
        const targetUrl = `${appUrl}${shipStationWebhookPath(name, c.credentials.webhookSecret!)}`;
        const existing = await client.listWebhooks();
        for (const event of ['SHIP_NOTIFY', 'ORDER_NOTIFY'] as const) {
          if (existing.some((w) => w.HookType === event && w.Url === targetUrl)) continue;
          await client.subscribeWebhook({ targetUrl, event, friendlyName: `ml-connector ${event}` });
        }
      },
      // The drainers wait for the delivery each is processing.
      async stop() {
        await Promise.all(drainers.splice(0).map((d) => d.close()));
      },
    };
  },
};

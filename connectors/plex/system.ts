// Plex Manufacturing Cloud as a system of the app: its configuration, its simulator, and the ERP
// port each connection gets (connectors/kit/system.ts says what each part is for).

import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { nonEmpty, positiveInt, stringMap } from '../../lib/config';
import { AuditRepo } from '../../lib/db/repos';
import { PostgresSlidingLimiter } from '../../lib/ratelimit';
import { CATALOG_PART_NUMBERS, startPlexSimulator, type PlexSimulator } from '../../simulators/plex';
import { readLimits, readSettings, type SystemDeps, type SystemModule } from '../kit/system';
import { createPlexClientFactory, plexErpPort } from './port';
import { PlexClient, plexLimitKey, plexRateLimit } from './client';
import { parseReadyState } from './mapping';

const settings = z
  .strictObject({
    /** Plexus Customer Number, sent as X-Plex-Connect-Customer-Id to act on another PCN. */
    pcn: z
      .string()
      .regex(/^\d+$/, { error: 'is not a PCN (write the numeric Plexus Customer Number)' })
      .optional(),
    /** Tenant UUID, sent as X-Plex-Connect-Tenant-Id. */
    tenantId: z.uuid({ error: 'is not a UUID (write the tenant id from GET /mdm/v1/tenants)' }).optional(),
    /**
     * What "ready to ship" means: an order status ("Open", the default), "release:<status>" (a
     * release in that status), or "shipper:<status>" (a customer shipper in that status).
     */
    readyState: nonEmpty('"Open"').default('Open'),
    /**
     * Currency of a sales order line price record that names none (ISO 4217). Plex keeps a
     * `currencyCode` on each price record; this is only its fallback.
     */
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/, { error: 'is not an ISO 4217 currency code (write e.g. "USD" or "EUR")' })
      .default('USD'),
    /** How tracking and status land on the customer shipper (connectors/plex/README.md). */
    writeBack: z
      .strictObject({
        /** Carrier name ("fedex") -> Plex carrier id. */
        carrierIds: stringMap.optional(),
        /** Shipper status once tracking is written (e.g. "Shipped"); unchanged when absent. */
        shippedStatus: nonEmpty('"Shipped"').optional(),
        /** Lifecycle status (in_transit, delivered, cancelled, ...) -> shipper status. */
        statusMap: stringMap.optional(),
      })
      .optional(),
  })
  .prefault({});

const limits = z
  .strictObject({
    callsPerMinute: positiveInt('e.g. 200').default(200),
  })
  .prefault({});

/** The demo's simulator allows this many calls a minute, so 50 orders take a minute, not ten. */
const DEMO_CALLS_PER_MINUTE = 6000;

const settingsOf = readSettings(settings);

/**
 * The one country every mapping of a connection ships from, or undefined when its mappings ship
 * from several (or name no ship-from): orders to it need no customs, so their prices are not read.
 */
function domesticCountry(config: SystemDeps['config'], connection: string): string | undefined {
  const countries = new Set(
    config.mappings
      .filter((m) => m.erp === connection)
      .map((m) => m.shipFrom?.countryCode?.toUpperCase() ?? ''),
  );
  const [only] = [...countries];
  return countries.size === 1 && only ? only : undefined;
}
const limitsOf = readLimits('plex', limits);

export const plexSystem: SystemModule = {
  id: 'plex',
  title: 'Plex',
  role: 'erp',
  settings,
  limits,
  credentialFields: ['apiKey', 'username', 'password'],
  requiredCredentials: () => ['apiKey'],
  missingCredentialReason: 'bad_key',
  defaultBaseUrl: () => 'https://connect.plex.com',
  urlExample: 'https://test.connect.plex.com',

  async simulator(opts) {
    const apiKey = randomBytes(16).toString('hex');
    const sim = await startPlexSimulator({
      keys: [{ apiKey }],
      rateLimitPerMinute: DEMO_CALLS_PER_MINUTE,
      seed: opts.seed,
    });
    return {
      baseUrl: sim.url,
      credentials: { apiKey },
      handle: sim satisfies PlexSimulator,
      limits: { callsPerMinute: DEMO_CALLS_PER_MINUTE },
      demoSkus: CATALOG_PART_NUMBERS,
      seedDemoOrders: (count, run) =>
        sim.seedOrders(count, run).map((o) => ({
          orderKey: o.orderKey,
          orderNumber: o.orderNumber,
          ...(o.invalid ? { invalid: o.invalid } : {}),
        })),
      stop: () => sim.stop(),
    };
  },

  open(deps) {
    const configured = limitsOf(deps.config).callsPerMinute;
    // One limiter across worker processes, per API key: connections sharing a key share its 200 a
    // minute; a simulated key gets the simulator's own figure.
    const perKey = new Map<string, number>();
    for (const c of deps.connections.values()) {
      const simulated = c.simulator?.limits?.callsPerMinute;
      perKey.set(
        plexLimitKey(c.credentials.apiKey ?? ''),
        typeof simulated === 'number' ? simulated : configured,
      );
    }
    const limiter = new PostgresSlidingLimiter(deps.db, (key) =>
      plexRateLimit(perKey.get(key) ?? configured),
    );
    const live = (name: string) => {
      const c = deps.connections.get(name);
      if (!c) throw new Error(`connection ${name} is not an active Plex connection`);
      return c;
    };
    const connectionSettings = (name: string) => settingsOf(live(name));
    /** Where and how a connection's client talks to Plex. */
    const clientSettings = (name: string) => {
      const c = live(name);
      const s = connectionSettings(name);
      const home = domesticCountry(deps.config, name);
      return {
        baseUrl: c.baseUrl,
        apiKey: c.credentials.apiKey!,
        tenantId: s.tenantId,
        customerId: s.pcn,
        currency: s.currency,
        ...(home ? { domesticCountry: home } : {}),
      };
    };
    const clients = createPlexClientFactory({
      db: deps.db,
      callsPerMinute: configured,
      limiter,
      log: deps.log,
      ...(deps.callTimeoutMs !== undefined
        ? { timeoutMs: deps.callTimeoutMs, readTimeoutMs: deps.callTimeoutMs }
        : {}),
      settings: clientSettings,
    });
    const portDeps = {
      audit: deps.repos.audit,
      log: deps.log,
      clients,
      settings: (name: string) => {
        const s = connectionSettings(name);
        return {
          readyState: parseReadyState(s.readyState),
          ...(s.writeBack ? { writeBack: s.writeBack } : {}),
        };
      },
    };
    const audit = new AuditRepo(deps.db);
    return {
      erp: (name) => plexErpPort(portDeps, name),
      test: (name) => {
        const client = new PlexClient({
          connection: name,
          ...clientSettings(name),
          limiter,
          timeoutMs: deps.testTimeoutMs ?? 10_000,
          log: deps.log,
          audit: async (entry) =>
            void (await audit.append({ ...entry, actor: deps.actor ?? 'cli:connections-test' })),
        });
        return client.testConnection();
      },
    };
  },
};

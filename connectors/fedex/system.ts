// FedEx as a system of the app: its configuration, its simulator, the carrier port each connection
// gets, and the tracking webhook (connectors/kit/system.ts says what each part is for).

import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { nonEmpty, positiveInt } from '../../lib/config';
import { AuditRepo } from '../../lib/db/repos';
import { PostgresSlidingLimiter } from '../../lib/ratelimit';
import { startFedexSimulator, type FedexSimulator } from '../../simulators/fedex';
import { readLimits, readSettings, type LiveConnection, type SystemModule } from '../kit/system';
import { DbTokenStore } from '../kit/tokens';
import type { CarrierPort } from '../ports';
import { createFedexClientFactory, fedexCarrierPort, fedexDemoOverride, fedexRateLimits } from './carrier';
import { FedexClient } from './client';
import { fedexWebhookRoute } from './webhook-route';

const settings = z.strictObject({
  accountNumber: z
    .string({ error: 'is not a string (write the 9-digit FedEx account number in quotes)' })
    .regex(/^\d{9}$/, {
      error: 'is not a FedEx account number (write the 9-digit number in quotes, e.g. "123456789")',
    }),
  pickupType: z
    .enum(['CONTACT_FEDEX_TO_SCHEDULE', 'DROPOFF_AT_FEDEX_LOCATION', 'USE_SCHEDULED_PICKUP'])
    .default('DROPOFF_AT_FEDEX_LOCATION'),
  labelImageType: z.enum(['PDF', 'PNG', 'ZPLII', 'EPL2']).default('PDF'),
  labelStockType: nonEmpty('"PAPER_4X6"').default('PAPER_4X6'),
});

const limits = z
  .strictObject({
    transactionsPer10s: positiveInt('e.g. 1400').default(1400),
    // FedEx throttles the token endpoint per IP but does not publish the figure: stay low.
    tokenRequestsPerMinute: positiveInt('e.g. 12').default(12),
    lockoutMinutes: positiveInt('e.g. 10').default(10),
  })
  .prefault({});

/** The demo's simulated FedEx moves a parcel a day in 12 s, so demo orders are delivered in a minute or two. */
const DEMO_CLOCK_SPEED = 7200;

const settingsOf = readSettings(settings);
const limitsOf = readLimits('fedex', limits);

export const fedexSystem: SystemModule = {
  id: 'fedex',
  title: 'FedEx',
  role: 'carrier',
  mode: 'label',
  settings,
  limits,
  // childKey/childSecret are the integrator ("child") credentials FedEx takes on the token call,
  // so they live with the other credentials rather than in settings. webhookSecret is the AIV
  // project's security token: the key of the fdx-signature HMAC.
  credentialFields: [
    'clientId',
    'clientSecret',
    'childKey',
    'childSecret',
    'trackClientId',
    'trackClientSecret',
    'webhookSecret',
  ],
  requiredCredentials: () => ['clientId', 'clientSecret'],
  defaultBaseUrl: () => 'https://apis.fedex.com',
  urlExample: 'https://apis-sandbox.fedex.com',

  /** FEDEX_BASE_URL, FEDEX_CLIENT_ID, FEDEX_CLIENT_SECRET and FEDEX_ACCOUNT_NUMBER: the demo against the sandbox. */
  fromEnvironment(env) {
    const o = fedexDemoOverride(env);
    return (
      o && { baseUrl: o.baseUrl, credentials: o.credentials, settings: { accountNumber: o.accountNumber } }
    );
  },

  async simulator(opts) {
    const { accountNumber } = settingsOf(opts);
    const creds = { clientId: `sim-${opts.connection}`, clientSecret: randomBytes(16).toString('hex') };
    const securityToken = randomBytes(24).toString('base64url');
    const sim = await startFedexSimulator({
      clients: [{ ...creds, accounts: [accountNumber] }],
      clockSpeed: DEMO_CLOCK_SPEED,
      seed: opts.seed,
      webhook: { url: opts.webhookUrl, securityToken },
    });
    return {
      baseUrl: sim.url,
      credentials: { ...creds, webhookSecret: securityToken },
      handle: sim satisfies FedexSimulator,
      stop: () => sim.stop(),
    };
  },

  open(deps) {
    const limitsNow = limitsOf(deps.config);
    const live = (name: string): LiveConnection => {
      const c = deps.connections.get(name);
      if (!c) throw new Error(`connection ${name} is not an active FedEx connection`);
      return c;
    };
    const clientSettings = (name: string) => {
      const c = live(name);
      return {
        baseUrl: c.baseUrl,
        clientId: c.credentials.clientId!,
        clientSecret: c.credentials.clientSecret!,
        childKey: c.credentials.childKey,
        childSecret: c.credentials.childSecret,
        accountNumber: settingsOf(c).accountNumber,
      };
    };
    const carrierDeps = {
      repos: deps.repos,
      log: deps.log,
      clients: createFedexClientFactory({
        db: deps.db,
        vault: deps.vault,
        repos: deps.repos,
        limits: limitsNow,
        log: deps.log,
        ...(deps.callTimeoutMs !== undefined ? { timeoutMs: deps.callTimeoutMs } : {}),
        settings: clientSettings,
      }),
    };
    const carrier = (name: string): CarrierPort => fedexCarrierPort(carrierDeps, name);

    return {
      carrier,
      /** A fresh token, then an account-bound rate request (FedexClient.testConnection). */
      async test(name) {
        const tokenStore = new DbTokenStore({ db: deps.db, vault: deps.vault, log: deps.log });
        // A lockout recorded by a worker (or an earlier test) holds for the CLI too: no request is sent.
        const locked = await tokenStore.lockedUntil(name);
        if (locked && locked.getTime() > Date.now()) {
          return {
            ok: false,
            reason: 'locked_out',
            message: `FedEx's token endpoint locked this connection out until ${locked.toISOString()}; try again after that`,
          };
        }
        const limitFor = fedexRateLimits(limitsNow);
        const audit = new AuditRepo(deps.db);
        const client = new FedexClient({
          connection: name,
          ...clientSettings(name),
          tokenStore,
          limiter: new PostgresSlidingLimiter(
            deps.db,
            (key) => limitFor(key) ?? { limit: 1, windowMs: 1000 },
          ),
          timeoutMs: deps.testTimeoutMs ?? 10_000,
          authLockoutMs: limitsNow.lockoutMinutes * 60_000,
          log: deps.log,
          audit: async (entry) =>
            void (await audit.append({ ...entry, actor: deps.actor ?? 'cli:connections-test' })),
        });
        return client.testConnection();
      },
      webhookRoutes(name, hooks) {
        const securityToken = live(name).credentials.webhookSecret;
        if (!securityToken) return {};
        return {
          [`POST /webhooks/fedex/${name}`]: fedexWebhookRoute({
            securityToken,
            inbox: deps.repos.webhookInbox,
            tracking: deps.repos,
            log: deps.log,
            onEvent: async (e) => {
              if (e.shipment) await hooks.onTracking(e.shipment, e.update);
            },
          }),
        };
      },
    };
  },
};

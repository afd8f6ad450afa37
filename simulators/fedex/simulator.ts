import { randomBytes } from 'node:crypto';
import type http from 'node:http';
import { AcceleratedClock } from '../shared/clock';
import { Delays, FaultKnobs, type FaultSettings } from '../shared/faults';
import { BodyTooLargeError, readBody, sendJson, startHttpServer } from '../shared/http';
import { SeededRandom } from '../shared/random';
import { resolveAddresses } from './address';
import { AuthService, type TokenInfo } from './auth';
import { FedexError, MESSAGES, errorBody, errors } from './errors';
import { RateLimiter } from './limits';
import { resolveOptions, share, type FedexSimOptions, type FedexSimWebhook } from './options';
import { rateQuotes } from './rate';
import { cancelShipment, createShipment, type ShipContext } from './ship';
import { ShipmentStore, eventsAt, type StoredShipment } from './shipments';
import { trackByNumbers, trackByReference } from './track';
import { parseJsonObject, type Json } from './validate';
import { WebhookPusher, type WebhookDelivery } from './webhook';

export interface FedexCounters {
  /** Keyed "METHOD /path", e.g. "POST /ship/v1/shipments". */
  requestsByEndpoint: Record<string, number>;
  /** Token requests per client_id, including refused ones. */
  tokenRequestsByClient: Record<string, number>;
  responsesByStatus: Record<string, number>;
  tooManyRequestsSent: number;
  shipments: number;
  labels: number;
  cancelledShipments: number;
  /** Labels created per customer reference value (any reference type). */
  labelsByReference: Record<string, number>;
  /** Shipments created per customer reference value: more than 1 means a duplicate. */
  shipmentsByReference: Record<string, number>;
  webhookDeliveries: WebhookDelivery[];
}

export interface ShipmentSummary {
  masterTrackingNumber: string;
  trackingNumbers: string[];
  accountNumber: string;
  serviceType: string;
  customerReferences: string[];
  status: string;
  createdAt: string;
  estimatedDeliveryAt: string;
  cancelled: boolean;
}

export interface FedexLimits {
  rateLimitPer10s?: number;
  dailyQuota?: number;
  exceptionShare?: number;
}

export interface FedexSimulator {
  url: string;
  stop(): Promise<void>;
  setFaults(patch: Partial<FaultSettings>): FaultSettings;
  /** Answer 429 to every API call for `seconds`. */
  storm(seconds: number): void;
  /** Lock a client_id (default: every configured one) out of /oauth/token with 403 for `seconds` (default: the configured lockout). */
  lockout(opts?: { clientId?: string; seconds?: number }): void;
  /** Every issued token now gets 401. */
  expireTokens(): void;
  setClockSpeed(speed: number): void;
  /** Move simulated time forward; status changes (and webhook pushes) due by then happen at once. */
  advanceClock(seconds: number): void;
  /** Simulated now. */
  now(): Date;
  setLimits(patch: FedexLimits): void;
  setWebhook(config: FedexSimWebhook | null, opts?: { outOfOrder?: boolean }): void;
  /** Wait for every webhook push started so far. */
  flushWebhooks(): Promise<void>;
  counters(): FedexCounters;
  shipments(): ShipmentSummary[];
  reset(): void;
}

const DAY_MS = 86_400_000;
const TICK_MS = 250;

interface StoredDocument {
  bytes: Buffer;
  mime: string;
  expiresAt: number;
}

type ApiHandler = (token: TokenInfo, body: Json) => Json;

export async function startFedexSimulator(options: FedexSimOptions = {}): Promise<FedexSimulator> {
  const opts = resolveOptions(options);
  const random = new SeededRandom(opts.seed);
  const clock = new AcceleratedClock(opts.clockSpeed);
  const delays = new Delays();
  const faults = new FaultKnobs(random);
  const auth = new AuthService(opts, opts.now);
  const limiter = new RateLimiter(opts.rateLimitPer10s, opts.dailyQuota, opts.now);
  const store = new ShipmentStore(random);
  const documents = new Map<string, StoredDocument>();
  const webhook = new WebhookPusher(store, () => clock.now(), delays);
  webhook.configure(opts.webhook);
  let exceptionShare = opts.exceptionShare;
  let baseUrl = '';

  const counts = {
    endpoints: new Map<string, number>(),
    statuses: new Map<string, number>(),
    labelsByReference: new Map<string, number>(),
    shipmentsByReference: new Map<string, number>(),
  };
  const bump = (map: Map<string, number>, key: string, by = 1) => map.set(key, (map.get(key) ?? 0) + by);

  const shipContext: ShipContext = {
    store,
    random,
    now: () => clock.now(),
    exceptionShare: () => exceptionShare,
    documents: {
      put(bytes, mime) {
        const id = randomBytes(16).toString('hex');
        // FedEx label URLs are "active for 24 hours"; measured on the simulated clock.
        documents.set(id, { bytes, mime, expiresAt: clock.now() + DAY_MS });
        return `${baseUrl}/document/v1/labels/${id}`;
      },
    },
    onCreated(shipment: StoredShipment) {
      const refs = new Set<string>();
      for (const pkg of shipment.packages) {
        for (const ref of new Set(pkg.customerReferences.map((r) => r.value))) {
          bump(counts.labelsByReference, ref);
          refs.add(ref);
        }
      }
      for (const ref of refs) bump(counts.shipmentsByReference, ref);
    },
  };

  const api: Record<string, ApiHandler> = {
    'POST /ship/v1/shipments': (token, body) => createShipment(shipContext, token, body),
    'PUT /ship/v1/shipments/cancel': (token, body) => cancelShipment(shipContext, token, body),
    'POST /track/v1/trackingnumbers': (_token, body) => trackByNumbers(store, clock.now(), body),
    'POST /track/v1/referencenumbers': (token, body) => trackByReference(store, token, clock.now(), body),
    'POST /rate/v1/rates/quotes': (token, body) => rateQuotes(token, clock.now(), body),
    'POST /address/v1/addresses/resolve': (_token, body) => resolveAddresses(body),
  };

  /** Compute the answer to one carrier request: [status, body]. */
  function answer(route: string, req: http.IncomingMessage, raw: Buffer): [number, Json] {
    const customerTransactionId = headerValue(req, 'x-customer-transaction-id');
    try {
      if (route === 'POST /oauth/token') return [200, auth.issue(new URLSearchParams(raw.toString('utf8')))];
      const token = auth.authenticate(headerValue(req, 'authorization'));
      limiter.take(token.clientId);
      const handler = api[route];
      if (!handler) throw errors.notFound();
      const body = handler(token, parseJsonObject(raw));
      return [200, withCustomerTransactionId(body, customerTransactionId)];
    } catch (err) {
      if (err instanceof FedexError) {
        return [
          err.status,
          errorBody(err, route === 'POST /oauth/token' ? undefined : customerTransactionId),
        ];
      }
      return [500, errorBody(errors.internal(), customerTransactionId)];
    }
  }

  async function handleCarrier(route: string, req: http.IncomingMessage, res: http.ServerResponse) {
    bump(counts.endpoints, route);
    const decision = faults.decide();
    let raw: Buffer;
    try {
      raw = await readBody(req, opts.bodyLimitBytes);
    } catch (err) {
      const status = err instanceof BodyTooLargeError ? 413 : 400;
      return respond(
        res,
        status,
        errorBody(errors.badRequest('INVALID.INPUT.EXCEPTION', MESSAGES.invalidInput)),
      );
    }
    if (decision.kind === 'error') {
      if (!(await delays.wait(decision.delayMs))) return;
      const err = random.chance(0.5) ? errors.internal() : errors.unavailable();
      return respond(res, err.status, errorBody(err));
    }
    // Timeouts are processed first: the carrier did the work, the caller just never hears about it.
    const [status, body] = answer(route, req, raw);
    // In the same synchronous step as the answer: the pusher counts on every change to a shipment
    // being followed by a tick (see WebhookPusher.configure).
    webhook.tick();
    if (decision.kind === 'hang') return;
    if (!(await delays.wait(decision.delayMs))) return;
    respond(res, status, body);
  }

  function respond(res: http.ServerResponse, status: number, body: unknown) {
    bump(counts.statuses, String(status));
    if (res.destroyed) return;
    sendJson(res, status, body);
  }

  function serveDocument(id: string, res: http.ServerResponse) {
    const doc = documents.get(id);
    if (!doc || doc.expiresAt <= clock.now()) return sendJson(res, 404, errorBody(errors.notFound()));
    res.writeHead(200, { 'content-type': doc.mime, 'content-length': doc.bytes.length });
    res.end(doc.bytes);
  }

  const handle: FedexSimulator = {
    url: '',
    async stop() {
      clearInterval(ticker);
      delays.cancelAll();
      await server.close();
      await webhook.flush();
    },
    setFaults: (patch) => faults.update(patch),
    storm(seconds) {
      if (!(seconds >= 0)) throw new RangeError('seconds must be >= 0');
      limiter.storm(seconds);
    },
    lockout(o = {}) {
      const seconds = o.seconds ?? opts.authLockout.seconds;
      if (!(seconds >= 0)) throw new RangeError('seconds must be >= 0');
      auth.lock(o.clientId, seconds);
    },
    expireTokens: () => auth.expireAll(),
    setClockSpeed(speed) {
      clock.setSpeed(speed);
    },
    advanceClock(seconds) {
      clock.advance(seconds);
      webhook.tick();
    },
    now: () => new Date(clock.now()),
    setLimits(patch) {
      if (patch.rateLimitPer10s !== undefined) {
        if (!(patch.rateLimitPer10s > 0)) throw new RangeError('rateLimitPer10s must be > 0');
        limiter.perWindow = patch.rateLimitPer10s;
      }
      if (patch.dailyQuota !== undefined) {
        if (!(patch.dailyQuota >= 0)) throw new RangeError('dailyQuota must be >= 0');
        limiter.dailyQuota = patch.dailyQuota;
      }
      if (patch.exceptionShare !== undefined) exceptionShare = share('exceptionShare', patch.exceptionShare);
    },
    setWebhook(config, o = {}) {
      if (config && (!/^https?:\/\//.test(config.url) || config.securityToken.length === 0)) {
        throw new RangeError('webhook needs an http(s) url and a securityToken');
      }
      webhook.configure(config ?? undefined);
      if (o.outOfOrder !== undefined) webhook.outOfOrder = o.outOfOrder;
    },
    flushWebhooks: () => webhook.flush(),
    counters: () => ({
      requestsByEndpoint: Object.fromEntries(counts.endpoints),
      tokenRequestsByClient: Object.fromEntries(auth.tokenRequests),
      responsesByStatus: Object.fromEntries(counts.statuses),
      tooManyRequestsSent: counts.statuses.get('429') ?? 0,
      shipments: store.all().length,
      labels: store.all().reduce((n, s) => n + s.packages.length, 0),
      cancelledShipments: store.all().filter((s) => s.cancelledAt !== undefined).length,
      labelsByReference: Object.fromEntries(counts.labelsByReference),
      shipmentsByReference: Object.fromEntries(counts.shipmentsByReference),
      webhookDeliveries: [...webhook.deliveries],
    }),
    shipments: () =>
      store.all().map((s) => {
        const events = eventsAt(s, clock.now());
        return {
          masterTrackingNumber: s.masterTrackingNumber,
          trackingNumbers: s.packages.map((p) => p.trackingNumber),
          accountNumber: s.accountNumber,
          serviceType: s.serviceType,
          customerReferences: [
            ...new Set(s.packages.flatMap((p) => p.customerReferences.map((r) => r.value))),
          ],
          status: events[events.length - 1]?.code ?? 'OC',
          createdAt: new Date(s.createdAt).toISOString(),
          estimatedDeliveryAt: new Date(s.estimatedDeliveryAt).toISOString(),
          cancelled: s.cancelledAt !== undefined,
        };
      }),
    reset() {
      delays.cancelAll();
      faults.reset();
      auth.reset();
      limiter.reset();
      limiter.perWindow = opts.rateLimitPer10s;
      limiter.dailyQuota = opts.dailyQuota;
      store.clear();
      documents.clear();
      webhook.reset();
      webhook.configure(opts.webhook);
      webhook.outOfOrder = false;
      exceptionShare = opts.exceptionShare;
      clock.reset(opts.clockSpeed);
      for (const map of Object.values(counts)) map.clear();
    },
  };

  const admin = adminRoutes(handle, () => ({
    faults: faults.current,
    clock: { now: new Date(clock.now()).toISOString(), speed: clock.speed },
    limits: { rateLimitPer10s: limiter.perWindow, dailyQuota: limiter.dailyQuota, exceptionShare },
    stormUntil: limiter.stormActiveUntil ? new Date(limiter.stormActiveUntil).toISOString() : null,
    webhook: webhook.config ? { url: webhook.config.url, outOfOrder: webhook.outOfOrder } : null,
  }));

  const server = await startHttpServer(
    async (req, res) => {
      const path = new URL(req.url ?? '/', 'http://sim').pathname;
      const route = `${req.method ?? 'GET'} ${path}`;
      if (path.startsWith('/__admin/')) return admin(route, req, res);
      const doc = /^\/document\/v1\/labels\/([0-9a-f]+)$/.exec(path);
      if (req.method === 'GET' && doc) return serveDocument(doc[1]!, res);
      return handleCarrier(route, req, res);
    },
    { port: opts.port, host: opts.host },
  );
  baseUrl = server.url;
  handle.url = server.url;
  const ticker = setInterval(() => webhook.tick(), TICK_MS);
  ticker.unref();
  return handle;
}

function headerValue(req: http.IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Put customerTransactionId right after transactionId, where FedEx's examples have it. */
function withCustomerTransactionId(body: Json, id: string | undefined): Json {
  if (id === undefined) return body;
  const { transactionId, ...rest } = body;
  return { transactionId, customerTransactionId: id, ...rest };
}

type AdminState = () => Json;

/** JSON admin endpoints under /__admin/, each a thin wrapper over the handle's knobs. */
function adminRoutes(sim: FedexSimulator, state: AdminState) {
  const num = (body: Json, key: string): number | undefined => {
    const v = body[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new RangeError(`${key} must be a number`);
    return v;
  };
  const str = (body: Json, key: string): string | undefined => {
    const v = body[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'string') throw new RangeError(`${key} must be a string`);
    return v;
  };
  const routes: Record<string, (body: Json) => unknown | Promise<unknown>> = {
    'GET /__admin/state': () => state(),
    'GET /__admin/counters': () => sim.counters(),
    'GET /__admin/shipments': () => sim.shipments(),
    'POST /__admin/faults': (b) => sim.setFaults(b as Partial<FaultSettings>),
    'POST /__admin/storm': (b) => {
      sim.storm(num(b, 'seconds') ?? 10);
      return state();
    },
    'POST /__admin/lockout': (b) => {
      sim.lockout({ clientId: str(b, 'clientId'), seconds: num(b, 'seconds') });
      return { ok: true };
    },
    'POST /__admin/tokens/expire': () => {
      sim.expireTokens();
      return { ok: true };
    },
    'POST /__admin/clock': (b) => {
      const speed = num(b, 'speed');
      const advance = num(b, 'advanceSeconds');
      if (speed !== undefined) sim.setClockSpeed(speed);
      if (advance !== undefined) sim.advanceClock(advance);
      return state().clock;
    },
    'POST /__admin/limits': (b) => {
      sim.setLimits({
        rateLimitPer10s: num(b, 'rateLimitPer10s'),
        dailyQuota: num(b, 'dailyQuota'),
        exceptionShare: num(b, 'exceptionShare'),
      });
      return state().limits;
    },
    'POST /__admin/webhook': (b) => {
      const url = b.url === null ? null : str(b, 'url');
      const outOfOrder = typeof b.outOfOrder === 'boolean' ? b.outOfOrder : undefined;
      if (url === null) sim.setWebhook(null, { outOfOrder });
      else if (url !== undefined)
        sim.setWebhook({ url, securityToken: str(b, 'securityToken') ?? '' }, { outOfOrder });
      else if (outOfOrder !== undefined) throw new RangeError('url is required (null to switch pushes off)');
      return state().webhook;
    },
    'POST /__admin/webhook/flush': async () => {
      await sim.flushWebhooks();
      return { ok: true };
    },
    'POST /__admin/reset': () => {
      sim.reset();
      return { ok: true };
    },
  };
  return async (route: string, req: http.IncomingMessage, res: http.ServerResponse) => {
    const fn = routes[route];
    if (!fn) return sendJson(res, 404, { error: `no admin route ${route}` });
    try {
      const raw = await readBody(req, 100_000);
      const body = raw.length > 0 ? (JSON.parse(raw.toString('utf8')) as unknown) : {};
      if (typeof body !== 'object' || body === null || Array.isArray(body))
        throw new RangeError('body must be a JSON object');
      sendJson(res, 200, await fn(body as Json));
    } catch (err) {
      sendJson(res, 400, { error: err instanceof Error ? err.message : 'bad request' });
    }
  };
}

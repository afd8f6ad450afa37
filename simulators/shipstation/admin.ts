import type http from 'node:http';
import type { FaultSettings } from '../shared/faults';
import { readBody, sendJson } from '../shared/http';
import type { Json } from './model';
import type { ShipStationSimulator } from './simulator';
import type { WebhookKnobs } from './webhooks';

/** JSON admin endpoints under /__admin/, each a thin wrapper over a knob of the handle. */
export function adminRoutes(sim: ShipStationSimulator, state: () => Json) {
  const num = (body: Json, key: string): number | undefined => {
    const v = body[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new RangeError(`${key} must be a number`);
    return v;
  };
  const bool = (body: Json, key: string): boolean | undefined => {
    const v = body[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'boolean') throw new RangeError(`${key} must be a boolean`);
    return v;
  };
  const routes: Record<string, (body: Json) => unknown> = {
    'GET /__admin/state': () => state(),
    'GET /__admin/counters': () => sim.counters(),
    'GET /__admin/orders': () => sim.orders(),
    'GET /__admin/shipments': () => sim.shipments(),
    'GET /__admin/inventory': () => sim.inventory(),
    'POST /__admin/faults': (b) => sim.setFaults(b as Partial<FaultSettings>),
    'POST /__admin/burst': (b) => {
      const api = b.api ?? 'both';
      if (api !== 'v1' && api !== 'v2' && api !== 'both') throw new RangeError('api must be v1, v2 or both');
      sim.burst(num(b, 'seconds') ?? 10, api);
      return state().burstUntil;
    },
    'POST /__admin/limits': (b) => {
      sim.setLimits({
        v1RateLimitPerMinute: num(b, 'v1RateLimitPerMinute'),
        v2RateLimitPerMinute: num(b, 'v2RateLimitPerMinute'),
      });
      return state().limits;
    },
    'POST /__admin/clock': (b) => {
      const speed = num(b, 'speed');
      const advance = num(b, 'advanceSeconds');
      if (speed !== undefined) sim.setClockSpeed(speed);
      if (advance !== undefined) sim.advanceClock(advance);
      return state().clock;
    },
    'POST /__admin/warehouse': (b) => {
      sim.setWarehouse({ shipAfterSeconds: num(b, 'shipAfterSeconds'), paused: bool(b, 'paused') });
      return state().warehouse;
    },
    'POST /__admin/ship': (b) => {
      const ids = b.orderIds;
      if (ids !== undefined && (!Array.isArray(ids) || ids.some((id) => !Number.isInteger(id))))
        throw new RangeError('orderIds must be an array of integers');
      return sim.shipNow(ids as number[] | undefined);
    },
    'POST /__admin/webhooks': (b) => {
      const patch: Partial<WebhookKnobs> = {};
      const dup = num(b, 'duplicateShare');
      const skew = num(b, 'timestampSkewSeconds');
      const order = bool(b, 'outOfOrder');
      if (dup !== undefined) patch.duplicateShare = dup;
      if (skew !== undefined) patch.timestampSkewSeconds = skew;
      if (order !== undefined) patch.outOfOrder = order;
      if (b.foreignResourceHost !== undefined) {
        if (b.foreignResourceHost !== null && typeof b.foreignResourceHost !== 'string')
          throw new RangeError('foreignResourceHost must be a string or null');
        patch.foreignResourceHost = b.foreignResourceHost;
      }
      return sim.setWebhookKnobs(patch);
    },
    'POST /__admin/drop-answers': (b) => {
      if (typeof b.endpoint !== 'string') throw new RangeError('endpoint must be a string');
      return sim.dropAnswers(b.endpoint, num(b, 'count'));
    },
    'POST /__admin/webhooks/flush': async () => {
      await sim.flushWebhooks();
      return { ok: true };
    },
    'POST /__admin/signing-key/rotate': () => ({ keyId: sim.rotateSigningKey() }),
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

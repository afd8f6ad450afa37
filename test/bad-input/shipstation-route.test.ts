// The ShipStation receiver routes (connectors/shipstation/webhook-routes.ts) over real HTTP, for the
// refusals of the bad-input corpus: wrong V1 URL tokens, malformed V1 bodies, oversized bodies,
// tampered V2 signatures and broken JWKS answers. A refused request must be answered before anything
// is stored or fetched (the order side is a stand-in that fails the test if it is touched), with a
// 4xx (503 only when our JWKS source is down), a reason that echoes no secret, and the server
// answering afterwards.

import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { after, before, it } from 'node:test';
import pino from 'pino';
import type { ShipmentIntake } from '../../activities/orders/fulfilment';
import type { FulfilmentPort } from '../../connectors/ports';
import {
  V2_KEY_ID_HEADER,
  V2_SIGNATURE_HEADER,
  V2_TIMESTAMP_HEADER,
} from '../../connectors/shipstation/webhook';
import { startHttpServer, type RunningHttpServer } from '../../clients/http/server';
import { shipStationWebhookRoutes } from '../../connectors/shipstation/webhook-routes';
import type { ShipStationWebhookDrainer } from '../../connectors/shipstation/webhook-drain';
import { createRepos, type Repos } from '../../lib/db/repos';
import { Registry } from '../../lib/metrics';
import { forEachDatabase } from '../helpers/db';
import {
  GIGANTIC_BYTES,
  jsonReply,
  V1_BODY_CASES,
  V1_TOKEN,
  V1_TOKEN_CASES,
  V2_CASES,
  type JwksAnswer,
} from './corpus';
import { startScriptedHttp, type Reply, type ScriptedHttp } from './scripted-http';

const CONNECTION = 'ss-corpus';
const log = pino({ level: 'silent' });

/** The order side: a refused request must never reach it. */
const untouchable = <T extends object>(what: string): T =>
  new Proxy({} as T, {
    get(_t, prop) {
      throw new Error(`${what}.${String(prop)} was used for a request that should have been refused`);
    },
  });

const key = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...key.publicKey.export({ format: 'jwk' }), kid: 'key-1', use: 'sig', alg: 'RS256' };
const forger = generateKeyPairSync('rsa', { modulusLength: 2048 });

const JWKS: Partial<Record<JwksAnswer, Reply>> = {
  good: jsonReply({ keys: [jwk] }),
  'html-200': { kind: 'raw', status: 200, headers: { 'content-type': 'text/html' }, body: '<html></html>' },
  'html-502': { kind: 'raw', status: 502, headers: { 'content-type': 'text/html' }, body: '<h1>502</h1>' },
  'no-keys': jsonReply({}),
  'empty-keys': jsonReply({ keys: [] }),
  'keys-not-list': jsonReply({ keys: jwk }),
  truncated: {
    kind: 'raw',
    status: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ keys: [jwk] }).slice(0, 50),
  },
  // Past the verifier's 1 MiB cap within the first MB, so the route answers 503 without reading on.
  gigantic: { kind: 'flood', status: 200, contentType: 'application/json', bytes: GIGANTIC_BYTES },
};

const V2_BODY = JSON.stringify({
  resource_url: 'https://api.shipstation.com/v2/labels/se-1/track',
  resource_type: 'TRACK_EVENT_V2',
});

function v2Headers(tamper: string, body: string): Record<string, string> {
  const ts = new Date().toISOString();
  const sig = (k = key.privateKey, at = ts, raw = body) =>
    sign('sha256', Buffer.from(`${at}.${raw}`), k).toString('base64');
  const good = { [V2_KEY_ID_HEADER]: 'key-1', [V2_SIGNATURE_HEADER]: sig(), [V2_TIMESTAMP_HEADER]: ts };
  const without = (name: string) => Object.fromEntries(Object.entries(good).filter(([k]) => k !== name));
  const shifted = (ms: number) => {
    const at = new Date(Date.now() + ms).toISOString();
    return { ...good, [V2_TIMESTAMP_HEADER]: at, [V2_SIGNATURE_HEADER]: sig(key.privateKey, at) };
  };
  switch (tamper) {
    case 'no-key-id':
      return without(V2_KEY_ID_HEADER);
    case 'no-signature':
      return without(V2_SIGNATURE_HEADER);
    case 'no-timestamp':
      return without(V2_TIMESTAMP_HEADER);
    case 'blank-signature':
      return { ...good, [V2_SIGNATURE_HEADER]: ' ' };
    case 'unknown-kid':
      return { ...good, [V2_KEY_ID_HEADER]: 'key-9' };
    case 'forged-key':
      return { ...good, [V2_SIGNATURE_HEADER]: sig(forger.privateKey) };
    case 'other-body':
      return { ...good, [V2_SIGNATURE_HEADER]: sig(key.privateKey, ts, `${body} `) };
    case 'other-timestamp':
      return { ...good, [V2_TIMESTAMP_HEADER]: new Date(Date.now() + 1000).toISOString() };
    case 'expired':
      return shifted(-10 * 60_000);
    case 'future':
      return shifted(10 * 60_000);
    case 'timestamp-garbage':
      return { ...good, [V2_TIMESTAMP_HEADER]: 'yesterday at noon' };
    case 'signature-junk':
      return { ...good, [V2_SIGNATURE_HEADER]: 'not base64 !!' };
    case 'signature-truncated':
      return { ...good, [V2_SIGNATURE_HEADER]: good[V2_SIGNATURE_HEADER]!.slice(0, 40) };
    default:
      return good;
  }
}

forEachDatabase('bad input: ShipStation webhook routes over HTTP', (getDb) => {
  let jwks: ScriptedHttp;
  let repos: Repos;

  before(async () => {
    repos = createRepos(getDb().db);
    jwks = await startScriptedHttp(() => JWKS.good!);
  });
  after(() => jwks.stop());

  /** A fresh server (and so a fresh JWKS cache) with the connection's routes. */
  async function serve(): Promise<RunningHttpServer> {
    return startHttpServer({
      host: '127.0.0.1',
      port: 0,
      log,
      metrics: new Registry(),
      health: [],
      routes: shipStationWebhookRoutes({
        connection: CONNECTION,
        v1Token: V1_TOKEN,
        jwksUrl: `${jwks.url}/jwks`,
        port: untouchable<FulfilmentPort>('port'),
        intake: untouchable<ShipmentIntake>('intake'),
        inbox: repos.webhookInbox,
        drainer: untouchable<ShipStationWebhookDrainer>('drainer'),
        log,
      }),
    });
  }

  const inboxCount = async () =>
    Number(
      (
        await getDb()
          .db.selectFrom('webhook_inbox')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  async function refused(
    server: RunningHttpServer,
    path: string,
    init: { headers?: Record<string, string>; body: string | Buffer },
    status: number,
    error?: RegExp,
  ): Promise<void> {
    const before = await inboxCount();
    const res = await fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...init.headers },
      body: init.body,
      signal: AbortSignal.timeout(15_000),
    });
    const text = await res.text();
    assert.equal(res.status, status, text.slice(0, 200));
    if (error) assert.match((JSON.parse(text) as { error: string }).error, error);
    assert.ok(!text.includes(V1_TOKEN), 'the answer never carries the URL token');
    assert.equal(await inboxCount(), before, 'nothing is stored');
    const health = await fetch(`${server.url}/healthz`);
    assert.equal(health.status, 200, 'the server answers afterwards');
    await health.arrayBuffer();
  }

  const v1Body = JSON.stringify({
    resource_url: 'https://ssapi.shipstation.com/shipments?batchId=1',
    resource_type: 'SHIP_NOTIFY',
  });

  for (const c of V1_TOKEN_CASES.filter((t) => !t.accepted)) {
    const given = c.given ?? '';
    // No token is no route; a token longer than Node's header limit is refused by Node itself.
    const status = given === '' ? 404 : given.length > 16_000 ? 431 : 401;
    it(`V1 URL token: ${c.name} -> ${status}`, async () => {
      const server = await serve();
      try {
        const path = `/webhooks/shipstation/${CONNECTION}/${encodeURIComponent(given)}`;
        await refused(server, path, { body: v1Body }, status, status === 401 ? /token/ : undefined);
      } finally {
        await server.close();
      }
    });
  }

  for (const c of V1_BODY_CASES) {
    it(`V1 body with the right token: ${c.name} -> 400`, async () => {
      const server = await serve();
      try {
        const path = `/webhooks/shipstation/${CONNECTION}/${V1_TOKEN}`;
        const status = c.body.length > 1024 * 1024 ? 413 : 400;
        await refused(server, path, { body: c.body }, status, status === 400 ? c.error : /larger than/);
      } finally {
        await server.close();
      }
    });
  }

  it('V2 push over the body size limit -> 413', async () => {
    const server = await serve();
    try {
      const body = JSON.stringify({ resource_url: 'https://x', padding: 'x'.repeat(2 * 1024 * 1024) });
      await refused(
        server,
        `/webhooks/shipstation-v2/${CONNECTION}`,
        { headers: v2Headers('none', body), body },
        413,
      );
    } finally {
      await server.close();
    }
  });

  it('V2 push correctly signed but not a webhook body -> 400', async () => {
    const server = await serve();
    try {
      const body = '{"resource_url": 42}';
      await refused(
        server,
        `/webhooks/shipstation-v2/${CONNECTION}`,
        { headers: v2Headers('none', body), body },
        400,
        /resource_url/,
      );
    } finally {
      await server.close();
    }
  });

  // Every V2 case the route can reach in bounded time (its verifier waits 10 s for a silent JWKS):
  // the refusals, not the accepted push.
  for (const c of V2_CASES.filter((v) => v.status !== 200 && JWKS[v.jwks])) {
    it(`V2: ${c.name} -> ${c.status}`, async () => {
      jwks.script = () => JWKS[c.jwks]!;
      const server = await serve();
      try {
        await refused(
          server,
          `/webhooks/shipstation-v2/${CONNECTION}`,
          { headers: v2Headers(c.tamper, V2_BODY), body: V2_BODY },
          c.status,
          c.reason,
        );
      } finally {
        await server.close();
        jwks.script = () => JWKS.good!;
      }
    });
  }
});

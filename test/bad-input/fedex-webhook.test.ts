// The FedEx AIV part of the bad-input corpus, over real HTTP: the app's HTTP server
// (clients/http/server.ts) with the real receiver route (connectors/fedex/webhook-route.ts) and a real
// database behind its inbox. Every case must get its 4xx (never a 5xx for the sender's fault), an
// error body that names the problem without echoing the security token, and leave the server
// answering.

import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import net from 'node:net';
import { Writable } from 'node:stream';
import { after, before, it } from 'node:test';
import pino from 'pino';
import { startHttpServer, type RunningHttpServer } from '../../clients/http/server';
import {
  FEDEX_WEBHOOK_PATH,
  fedexWebhookRoute,
  type FedexTrackingEvent,
} from '../../connectors/fedex/webhook-route';
import { createRepos } from '../../lib/db/repos';
import { Registry } from '../../lib/metrics';
import { forEachDatabase } from '../helpers/db';
import { FEDEX_WEBHOOK_CASES, type AivSignature } from './corpus';

const SECURITY_TOKEN = 'Corpus-Aiv-Security-Token-2026Q4xyz';
const OTHER_TOKEN = 'Another-Aiv-Security-Token-2026Q4abc';

const hmac = (key: string, body: string | Buffer, encoding: 'base64' | 'hex' = 'base64') =>
  createHmac('sha256', key).update(body).digest(encoding);

function signatureHeaders(kind: AivSignature, body: string | Buffer): Headers {
  const h = new Headers();
  const valid = hmac(SECURITY_TOKEN, body);
  const value: Record<AivSignature, string | undefined> = {
    valid,
    missing: undefined,
    empty: '',
    truncated: valid.slice(0, 20),
    'wrong-key': hmac(OTHER_TOKEN, body),
    'other-body': hmac(SECURITY_TOKEN, Buffer.concat([Buffer.from(body), Buffer.from(' ')])),
    hex: hmac(SECURITY_TOKEN, body, 'hex'),
    garbage: 'not base64 at all!! $$$',
    doubled: valid,
    'empty-key': hmac('', body),
  };
  const v = value[kind];
  if (v !== undefined) h.append('fdx-signature', v);
  if (kind === 'doubled') h.append('fdx-signature', valid);
  return h;
}

/** One raw request over a socket, for request lines fetch() would never send. */
function rawRequest(url: string, head: string): Promise<string> {
  return new Promise((resolve) => {
    const { hostname, port } = new URL(url);
    const socket = net.connect(Number(port), hostname, () => socket.write(head));
    let out = '';
    socket.on('data', (d) => (out += String(d)));
    socket.on('close', () => resolve(out));
    socket.on('error', (e) => resolve(`socket error: ${e.message}`));
    socket.setTimeout(3000, () => socket.destroy());
  });
}

forEachDatabase('bad input: FedEx AIV webhook over HTTP', (getDb) => {
  let server: RunningHttpServer;
  let logged = '';
  const events: FedexTrackingEvent[] = [];

  before(async () => {
    const repos = createRepos(getDb().db);
    const sink = new Writable({
      write(chunk, _enc, done) {
        logged += String(chunk);
        done();
      },
    });
    const log = pino({ level: 'debug' }, sink);
    server = await startHttpServer({
      host: '127.0.0.1',
      port: 0,
      log,
      metrics: new Registry(),
      health: [],
      routes: {
        [`POST ${FEDEX_WEBHOOK_PATH}`]: fedexWebhookRoute({
          securityToken: SECURITY_TOKEN,
          inbox: repos.webhookInbox,
          tracking: repos,
          onEvent: async (e) => {
            events.push(e);
          },
          log,
        }),
      },
    });
  });
  after(async () => {
    await server.close();
  });

  const inboxCount = async () =>
    Number(
      (
        await getDb()
          .db.selectFrom('webhook_inbox')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  async function stillAnswers(): Promise<void> {
    const res = await fetch(`${server.url}/healthz`, { signal: AbortSignal.timeout(3000) });
    assert.equal(res.status, 200, 'the server answers /healthz after the case');
    await res.arrayBuffer();
  }

  for (const c of FEDEX_WEBHOOK_CASES) {
    it(`${c.name} -> ${c.status}`, async () => {
      const before = await inboxCount();
      const headers = signatureHeaders(c.signature, c.body);
      const contentType = c.contentType === undefined ? 'application/json' : c.contentType;
      if (contentType !== null) headers.set('content-type', contentType);
      const res = await fetch(`${server.url}${FEDEX_WEBHOOK_PATH}`, {
        method: 'POST',
        headers,
        body: c.body,
        signal: AbortSignal.timeout(10_000),
      });
      const text = await res.text();
      assert.equal(res.status, c.status, `status (body: ${text.slice(0, 200)})`);
      assert.ok(res.status < 500, 'never a 5xx for the sender’s fault');
      const body = JSON.parse(text) as { error?: string; status?: string };
      if (c.error) {
        assert.equal(typeof body.error, 'string', 'a 4xx says what was wrong');
        assert.match(body.error!, c.error);
      } else {
        assert.equal(body.status, 'processed');
      }
      assert.ok(!text.includes(SECURITY_TOKEN), 'the answer never echoes the security token');
      assert.equal((await inboxCount()) - before, c.stored ? 1 : 0, 'only accepted pushes are stored');
      await stillAnswers();
    });
  }

  it('pushes for unknown tracking numbers route to no order', () => {
    assert.deepEqual(events, []);
  });

  it('text fields of accepted pushes are stored as plain text', async () => {
    const rows = await getDb()
      .db.selectFrom('tracking_events')
      .select(['tracking_number', 'description'])
      .where('tracking_number', 'in', ['794699999906', '794699999907'])
      .orderBy('tracking_number')
      .execute();
    assert.deepEqual(
      rows.map((r) => [r.tracking_number, r.description]),
      [
        ['794699999906', 'IT'],
        ['794699999907', 'In transit [31m'],
      ],
    );
  });

  it('a request line with an unparsable URL gets 400, and the process lives on', async () => {
    const out = await rawRequest(
      server.url,
      'POST http://[ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n',
    );
    assert.match(out, /^HTTP\/1\.1 400 /);
    assert.match(out, /malformed request URL/);
    await stillAnswers();
  });

  it('the wrong method on the webhook path gets 404 naming the route', async () => {
    const res = await fetch(`${server.url}${FEDEX_WEBHOOK_PATH}`, { method: 'GET' });
    assert.equal(res.status, 404);
    assert.match(((await res.json()) as { error: string }).error, /no route GET/);
    await stillAnswers();
  });

  it('a body announced larger than the limit gets 413 without being read', async () => {
    const out = await rawRequest(
      server.url,
      `POST ${FEDEX_WEBHOOK_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
        'Content-Length: 1073741824\r\nConnection: close\r\n\r\n{"output":',
    );
    assert.match(out, /^HTTP\/1\.1 413 /);
    assert.match(out, /larger than/);
    await stillAnswers();
  });

  it('no log line carries the security token', () => {
    assert.ok(logged.length > 0);
    assert.ok(!logged.includes(SECURITY_TOKEN));
  });
});

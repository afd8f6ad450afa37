// lib/http.ts's node:http transport against a real 127.0.0.1 server: connections are kept alive and
// reused; a reused connection the server drops before answering is retried for an idempotent
// request and not for a POST (which may have been acted on); compressed answers are decoded; a body
// cut short is a 'network' failure; UTF-8 split across chunks decodes whole.

import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { httpRequest, HttpRequestInvalid, HttpTransportError } from '../../lib/http';

describe('lib/http: the node:http transport', () => {
  let server: Server;
  let url: string;
  /** Requests seen, with the number of the connection each came on. */
  let seen: Array<{ method: string; path: string; connection: number }> = [];
  let connections = 0;
  const numberOf = new WeakMap<Socket, number>();
  const requestsOn = new Map<number, number>();

  before(async () => {
    server = createServer((req, res) => {
      const connection = numberOf.get(req.socket)!;
      const nth = (requestsOn.get(connection) ?? 0) + 1;
      requestsOn.set(connection, nth);
      const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
      seen.push({ method: req.method ?? '?', path, connection });
      const json = (body: Buffer, headers: Record<string, string> = {}) => {
        res.writeHead(200, {
          'content-type': 'application/json',
          'content-length': String(body.length),
          ...headers,
        });
        res.end(body);
      };
      const doc = Buffer.from(JSON.stringify({ ok: true, name: 'Müller & Søn – 東京' }));
      switch (path) {
        case '/drop-reused':
          // A kept-alive connection that the server drops when a second request arrives on it, as
          // a server does that closes an idle connection just as the client reuses it.
          if (nth > 1) req.socket.destroy();
          else json(doc);
          return;
        case '/gzip':
          return json(gzipSync(doc), { 'content-encoding': 'gzip' });
        case '/deflate':
          return json(deflateSync(doc), { 'content-encoding': 'deflate' });
        case '/br':
          return json(brotliCompressSync(doc), { 'content-encoding': 'br' });
        case '/split-utf8': {
          // "ü" is 2 bytes: the first chunk ends between them.
          const at = doc.indexOf(Buffer.from('ü')) + 1;
          res.writeHead(200, { 'content-type': 'application/json' });
          res.write(doc.subarray(0, at));
          setTimeout(() => res.end(doc.subarray(at)), 20);
          return;
        }
        case '/cut':
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
          res.write('{"partial":');
          setTimeout(() => req.socket.destroy(), 20);
          return;
        default:
          return json(doc);
      }
    });
    server.on('connection', (socket) => numberOf.set(socket, ++connections));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  beforeEach(() => {
    seen = [];
  });

  const get = (path: string, method: 'GET' | 'POST' | 'PUT' = 'GET') =>
    httpRequest({
      method,
      url: `${url}${path}`,
      timeoutMs: 2000,
      ...(method === 'GET' ? {} : { json: { a: 1 } }),
    });

  it('keeps the connection alive and sends the next request on it', async () => {
    const a = await get('/one');
    const b = await get('/two');
    assert.equal(a.status, 200);
    assert.deepEqual(JSON.parse(b.text), { ok: true, name: 'Müller & Søn – 東京' });
    assert.equal(seen.length, 2);
    assert.equal(seen[0]!.connection, seen[1]!.connection, 'one connection for both');
    assert.equal(b.headers.get('Content-Type'), 'application/json', 'headers by any case');
    assert.equal(b.headers.get('x-missing'), null);
  });

  it('sends a GET or PUT once more when a reused connection is dropped before any answer', async () => {
    for (const method of ['GET', 'PUT'] as const) {
      seen = [];
      await get('/warm-up'); // leaves a free kept-alive connection
      const res = await get('/drop-reused', method);
      assert.equal(res.status, 200, method);
      const drops = seen.filter((s) => s.path === '/drop-reused');
      assert.equal(drops.length, 2, `${method}: sent on the reused connection, then on a new one`);
      assert.notEqual(drops[0]!.connection, drops[1]!.connection);
    }
  });

  it('does not send a POST again: the server may have acted on it', async () => {
    await get('/warm-up');
    await assert.rejects(get('/drop-reused', 'POST'), (err: unknown) => {
      assert.ok(err instanceof HttpTransportError);
      assert.equal(err.kind, 'network');
      return true;
    });
    assert.equal(seen.filter((s) => s.path === '/drop-reused').length, 1);
  });

  it('decodes gzip, deflate and br answers', async () => {
    for (const path of ['/gzip', '/deflate', '/br']) {
      const res = await get(path);
      assert.deepEqual(JSON.parse(res.text), { ok: true, name: 'Müller & Søn – 東京' }, path);
    }
  });

  it('decodes a multi-byte character split across chunks', async () => {
    const res = await get('/split-utf8');
    assert.equal((JSON.parse(res.text) as { name: string }).name, 'Müller & Søn – 東京');
  });

  it("fails a body cut short as 'network', not as an answer", async () => {
    await assert.rejects(get('/cut'), (err: unknown) => {
      assert.ok(err instanceof HttpTransportError);
      assert.equal(err.kind, 'network');
      return true;
    });
  });

  it("fails a refused connection as 'network' with the system's code", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await assert.rejects(
      httpRequest({ method: 'GET', url: `http://127.0.0.1:${port}/x`, timeoutMs: 2000 }),
      (err: unknown) => {
        assert.ok(err instanceof HttpTransportError);
        assert.equal(err.kind, 'network');
        assert.match(err.message, /ECONNREFUSED/);
        return true;
      },
    );
  });

  it('refuses a header Node cannot send as a request problem naming the header, not its value, and leaves no timer', async () => {
    const before = seen.length;
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const timersBefore = timers();
    const secret = 'tok-3f9a\nX-Injected: 1';
    await assert.rejects(
      httpRequest({
        method: 'GET',
        url: `${url}/json`,
        headers: { authorization: `Bearer ${secret}` },
        timeoutMs: 60_000,
      }),
      (err: unknown) => {
        assert.ok(err instanceof HttpRequestInvalid, `not a transport error to retry: ${String(err)}`);
        assert.ok(!(err instanceof HttpTransportError));
        assert.match(err.message, /authorization/);
        assert.ok(!err.message.includes('tok-3f9a'), 'the value never appears');
        return true;
      },
    );
    assert.equal(seen.length, before, 'nothing reached the server');
    assert.equal(timers(), timersBefore, 'the 60-s timeout timer was cleared');
  });
});

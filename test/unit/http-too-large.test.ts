// lib/http.ts against a real 127.0.0.1 server: an answer over `maxResponseBytes` is its own kind of
// failure ('too_large'), not a 'network' one, with a message that names the cap; reading stops at
// the cap; and the connectors map it to their Unavailable error without `transport` (the server
// did answer), so a connection test does not say "cannot reach" and a Plex read is not sent again.

import assert from 'node:assert/strict';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { after, before, beforeEach, describe, it } from 'node:test';
import pino from 'pino';
import { PlexUnavailableError } from '../../connectors/plex/errors';
import { DEFAULT_MAX_RESPONSE_BYTES, httpRequest, HttpTransportError } from '../../lib/http';
import { IDS } from './plex-fixtures';
import { testClient as plexClient } from './plex-server';
import { testClient as shipStationClient } from './shipstation-server';

const FILLER = Buffer.alloc(64 * 1024, 'x');

interface Closed {
  path: string;
  finished: boolean;
}

/** Write `bytes` of filler as fast as the client reads, with or without a content-length. */
function flood(res: ServerResponse, bytes: number, declare: boolean): void {
  res.writeHead(200, {
    'content-type': 'application/json',
    ...(declare ? { 'content-length': String(bytes) } : {}),
  });
  let left = bytes;
  const pump = () => {
    while (left > 0 && !res.destroyed) {
      const chunk = left >= FILLER.length ? FILLER : FILLER.subarray(0, left);
      left -= chunk.length;
      if (!res.write(chunk)) {
        res.once('drain', pump);
        return;
      }
    }
    if (!res.destroyed) res.end();
  };
  pump();
}

describe('lib/http: an answer larger than the cap', () => {
  let server: Server;
  let url: string;
  const requests: string[] = [];
  const closed: Closed[] = [];

  before(async () => {
    // /declared/<n> and /chunked/<n>: n bytes with and without a content-length; /hang: no answer;
    // anything else: 80 MiB with a content-length (over the 64 MiB default cap).
    server = createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
      requests.push(path);
      res.on('close', () => closed.push({ path, finished: res.writableFinished }));
      const [, mode, size] = path.split('/');
      if (mode === 'hang') return;
      if (mode === 'gzip') {
        // A small compressed body with its (compressed) length declared, that inflates past the cap.
        const body = gzipSync(Buffer.alloc(Number(size), 'x'));
        res.writeHead(200, {
          'content-type': 'application/json',
          'content-encoding': 'gzip',
          'content-length': String(body.length),
        });
        res.end(body);
        return;
      }
      if (mode === 'declared' || mode === 'chunked') flood(res, Number(size), mode === 'declared');
      else flood(res, 80 * 1024 * 1024, true);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  beforeEach(() => {
    requests.length = 0;
    closed.length = 0;
  });

  const get = (path: string, maxResponseBytes?: number, timeoutMs = 5_000) =>
    httpRequest({ method: 'GET', url: `${url}${path}`, timeoutMs, maxResponseBytes });

  async function transportError(p: Promise<unknown>): Promise<HttpTransportError> {
    const err = await p.then(
      () => assert.fail('the request should have failed'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof HttpTransportError, String(err));
    return err;
  }

  async function closedFor(path: string): Promise<Closed> {
    for (let i = 0; i < 100; i++) {
      const c = closed.find((x) => x.path === path);
      if (c) return c;
      await new Promise((r) => setTimeout(r, 20));
    }
    return assert.fail(`the server never saw ${path} close`);
  }

  for (const mode of ['declared', 'chunked'] as const) {
    it(`is 'too_large', names the cap and stops reading (${mode} length)`, async () => {
      const path = `/${mode}/${16 * 1024 * 1024}`;
      const err = await transportError(get(path, 64 * 1024));
      assert.equal(err.kind, 'too_large');
      assert.equal(
        err.message,
        `GET ${path} failed (too_large): answer larger than the cap of 65536 bytes; stopped reading`,
      );
      assert.equal(err.unanswered, undefined, 'the server did answer');
      const c = await closedFor(path);
      assert.equal(c.finished, false, 'the 16 MiB were not read to the end');
    });
  }

  it('reads an answer of exactly the cap, and refuses one byte more', async () => {
    for (const mode of ['declared', 'chunked']) {
      const res = await get(`/${mode}/1024`, 1024);
      assert.equal(res.text.length, 1024, mode);
      const err = await transportError(get(`/${mode}/1025`, 1024));
      assert.equal(err.kind, 'too_large', mode);
    }
  });

  it('counts a compressed answer after decompression: a small declared length does not pass the cap', async () => {
    const err = await transportError(get(`/gzip/${4 * 1024 * 1024}`, 64 * 1024));
    assert.equal(err.kind, 'too_large');
    const res = await get('/gzip/1024', 64 * 1024);
    assert.equal(res.text, 'x'.repeat(1024));
  });

  it('uses a 64 MiB cap by default and logs the failure as too large', async () => {
    let logged = '';
    const log = pino(
      { level: 'warn' },
      new Writable({
        write(chunk, _enc, done) {
          logged += String(chunk);
          done();
        },
      }),
    );
    const err = await transportError(
      httpRequest({ method: 'GET', url: `${url}/anything`, timeoutMs: 5_000 }, { log }),
    );
    assert.equal(DEFAULT_MAX_RESPONSE_BYTES, 64 * 1024 * 1024);
    assert.equal(err.kind, 'too_large');
    assert.match(err.message, /larger than the cap of 67108864 bytes/);
    assert.match(logged, /http answer too large; not read/);
    assert.match(logged, /"limit":67108864/);
  });

  it("keeps 'timeout' and 'network' for requests that got no complete answer", async () => {
    const slow = await transportError(get('/hang', undefined, 200));
    assert.equal(slow.kind, 'timeout');
    assert.equal(slow.unanswered, 'timeout');
    const gone = createServer();
    await new Promise<void>((resolve) => gone.listen(0, '127.0.0.1', resolve));
    const goneUrl = `http://127.0.0.1:${(gone.address() as AddressInfo).port}`;
    await new Promise<void>((resolve) => gone.close(() => resolve()));
    const refused = await transportError(
      httpRequest({ method: 'GET', url: `${goneUrl}/x`, timeoutMs: 2_000 }),
    );
    assert.equal(refused.kind, 'network');
    assert.equal(refused.unanswered, 'network');
  });

  it('a Plex read with a too-large answer fails as unavailable, once, without being sent again', async () => {
    const t = plexClient(url);
    const err = await t.client.getOrder(IDS.order).then(
      () => assert.fail('getOrder should have failed'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof PlexUnavailableError, String(err));
    assert.equal(err.retryable, true);
    assert.equal(err.transport, undefined);
    assert.match(err.message, /^Plex getOrder: GET \/\S+ failed \(too_large\): answer larger than the cap/);
    assert.equal(requests.length, 1, 'the read is not sent again');
    assert.deepEqual(t.sleeps, []);
  });

  it('a ShipStation connection test with a too-large answer does not say "cannot reach"', async () => {
    const result = await shipStationClient(url).client.testConnection();
    assert.equal(result.ok, false);
    assert.equal(result.reason, 'error');
    assert.doesNotMatch(result.message, /cannot reach/);
    assert.match(result.message, /failed \(too_large\): answer larger than the cap of 67108864 bytes/);
  });
});

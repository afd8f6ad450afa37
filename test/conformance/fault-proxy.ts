// A real HTTP proxy on 127.0.0.1 that stands between a connector and its simulator. Unarmed, it
// forwards every request and answer unchanged (the simulator's own address in an answer is turned
// into the proxy's, so links lead back through it). Armed with a fault, it answers the matching
// requests itself the way a broken system or a gateway in front of it does: an HTML page, cut-off
// JSON, JSON of the wrong types, an 80 MB body, no answer at all, a 401, a 429, a 503. It logs every
// request it saw, so a test can count what the connector sent without knowing the system's API.

import {
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** What the proxy answers instead of the simulator. */
export type Fault =
  /** HTTP 200 with a text/html maintenance page, as a load balancer shows during a deployment. */
  | { kind: 'html-page' }
  /** The simulator's real answer, cut off halfway (declared as JSON). */
  | { kind: 'truncated-json' }
  /**
   * The simulator's real answer with every value of the wrong JSON type: objects where arrays
   * belong, numbers as strings, strings as numbers, booleans as strings.
   */
  | { kind: 'wrong-types' }
  /** The JSON literal `null` where an object or a list belongs. */
  | { kind: 'json-null' }
  /** A body of this many bytes (80 MB unless given), generated while the client reads it. */
  | { kind: 'huge-body'; bytes?: number }
  /** Read the request and never answer: the socket is held until the client gives up. */
  | { kind: 'no-answer' }
  /** A bare HTTP status with a small JSON error body (401 after a token expired, 503 in a storm). */
  | { kind: 'status'; status: number; headers?: Record<string, string> };

/** One request the proxy saw. */
export interface ProxiedRequest {
  method: string;
  /** Path without the query. */
  path: string;
  headers: IncomingHttpHeaders;
  /** The fault answered instead of the simulator, if any. */
  fault?: Fault['kind'];
  /** Status of the answer sent (undefined while none was, or never for `no-answer`). */
  status?: number;
  at: number;
}

export interface ArmOptions {
  /** Which requests get the fault (default: every one). */
  match?: (req: ProxiedRequest) => boolean;
  /** How many requests get it before it disarms itself (default: all, until `disarm`). */
  times?: number;
}

export interface FaultProxy {
  /** Where the connector sends its requests (`http://127.0.0.1:<port>`). */
  url: string;
  /** Every request seen, oldest first. */
  requests: ProxiedRequest[];
  arm(fault: Fault, opts?: ArmOptions): void;
  /** Forward everything again; sockets held by `no-answer` are closed. */
  disarm(): void;
  stop(): Promise<void>;
}

/** The size of the gigantic answer: larger than any connector reads of one answer (64 MB). */
export const HUGE_BODY_BYTES = 80 * 1024 * 1024;

const MAINTENANCE_PAGE =
  '<!DOCTYPE html>\n<html><head><title>Service Temporarily Unavailable</title></head><body>' +
  '<h1>Service Temporarily Unavailable</h1><p>We are down for maintenance. Please try again later.</p>' +
  '<hr><address>nginx</address></body></html>\n';

/** Headers that describe one hop of a connection; they are not passed on by a proxy. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
  'content-length',
]);

function readBody(stream: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

/**
 * Every value of the wrong JSON type, all the way down: what a changed API or a broken gateway
 * could send. Arrays become objects keyed by index, numbers strings, strings numbers (their
 * length), booleans strings; null stays null.
 */
export function withWrongTypes(value: unknown): unknown {
  if (Array.isArray(value)) return Object.fromEntries(value.map((v, i) => [String(i), withWrongTypes(v)]));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withWrongTypes(v)]));
  }
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return value.length;
  if (typeof value === 'boolean') return String(value);
  return value;
}

/** Writes `bytes` of a JSON-looking array that never closes, as fast as the client reads. */
function streamHugeBody(res: ServerResponse, bytes: number): void {
  const chunk = Buffer.from('[' + '0,'.repeat(32 * 1024 - 1) + '0');
  let left = bytes;
  const pump = () => {
    while (left > 0 && !res.destroyed) {
      const piece = left >= chunk.length ? chunk : chunk.subarray(0, left);
      left -= piece.length;
      if (!res.write(piece)) {
        res.once('drain', pump);
        return;
      }
    }
    if (!res.destroyed) res.end();
  };
  pump();
}

function sendJson(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(body);
}

/** Starts a proxy in front of `target` (the simulator's base URL). */
export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const upstream = new URL(target);
  const requests: ProxiedRequest[] = [];
  let armed: { fault: Fault; match: (r: ProxiedRequest) => boolean; left: number } | undefined;
  const held = new Set<ServerResponse>();
  const sockets = new Set<Socket>();
  let ownOrigin = '';

  /** Forwards the request to the simulator and hands back its whole answer. */
  async function forward(
    req: IncomingMessage,
    body: Buffer,
  ): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (v !== undefined && !HOP_BY_HOP.has(k)) headers[k] = v;
    }
    if (body.length > 0) headers['content-length'] = String(body.length);
    return new Promise((resolve, reject) => {
      const out = httpRequest(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers,
        },
        (answer) => {
          readBody(answer).then(
            (b) => resolve({ status: answer.statusCode ?? 502, headers: answer.headers, body: b }),
            reject,
          );
        },
      );
      out.on('error', reject);
      out.end(body);
    });
  }

  /** The simulator's answer as the client gets it, with its origin turned into the proxy's. */
  function relay(
    res: ServerResponse,
    answer: { status: number; headers: IncomingHttpHeaders; body: Buffer },
  ) {
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(answer.headers)) {
      if (v !== undefined && !HOP_BY_HOP.has(k)) headers[k] = v;
    }
    let body = answer.body;
    const type = String(answer.headers['content-type'] ?? '');
    if (/json|text|xml/.test(type)) {
      body = Buffer.from(body.toString('utf8').split(upstream.origin).join(ownOrigin));
    }
    if (typeof headers.location === 'string')
      headers.location = headers.location.replace(upstream.origin, ownOrigin);
    headers['content-length'] = String(body.length);
    res.writeHead(answer.status, headers);
    res.end(body);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const seen: ProxiedRequest = {
      method: req.method ?? 'GET',
      path: new URL(req.url ?? '/', 'http://127.0.0.1').pathname,
      headers: req.headers,
      at: Date.now(),
    };
    requests.push(seen);
    // An answer the client stopped reading (a huge body) ends in 'close' without 'finish'.
    res.on('close', () => {
      if (res.headersSent) seen.status = res.statusCode;
    });

    const fault = armed && armed.left > 0 && armed.match(seen) ? armed.fault : undefined;
    if (fault && armed) {
      armed.left -= 1;
      seen.fault = fault.kind;
    }
    switch (fault?.kind) {
      case undefined:
        relay(res, await forward(req, body));
        return;
      case 'html-page':
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(MAINTENANCE_PAGE);
        return;
      case 'json-null':
        sendJson(res, 200, 'null');
        return;
      case 'truncated-json': {
        const real = (await forward(req, body)).body.toString('utf8');
        sendJson(res, 200, real.length >= 4 ? real.slice(0, Math.floor(real.length / 2)) : '{"');
        return;
      }
      case 'wrong-types': {
        const real = (await forward(req, body)).body.toString('utf8');
        let parsed: unknown = null;
        try {
          parsed = JSON.parse(real);
        } catch {
          // Not JSON to begin with (an empty 204): null is of the wrong type for any answer.
        }
        sendJson(res, 200, JSON.stringify(withWrongTypes(parsed)));
        return;
      }
      case 'huge-body':
        res.writeHead(200, { 'content-type': 'application/json' });
        streamHugeBody(res, fault.bytes ?? HUGE_BODY_BYTES);
        return;
      case 'no-answer':
        held.add(res);
        res.on('close', () => held.delete(res));
        return;
      case 'status':
        sendJson(
          res,
          fault.status,
          JSON.stringify({ error: `HTTP ${fault.status} from the conformance fault proxy` }),
          fault.headers,
        );
        return;
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: Error) => {
      if (res.headersSent) res.destroy();
      else sendJson(res, 502, JSON.stringify({ error: `fault proxy: ${err.message}` }));
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  ownOrigin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const releaseHeld = () => {
    for (const res of held) res.destroy();
    held.clear();
  };

  return {
    url: ownOrigin,
    requests,
    arm(fault, opts = {}) {
      armed = { fault, match: opts.match ?? (() => true), left: opts.times ?? Infinity };
    },
    disarm() {
      armed = undefined;
      releaseHeld();
    },
    stop: () =>
      new Promise<void>((resolve) => {
        armed = undefined;
        releaseHeld();
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}

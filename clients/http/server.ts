import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Registry } from '../../lib/metrics';

import { sendJson, type Handler } from '../../lib/http-routes';

export { sendJson, type Handler };

export interface HealthCheck {
  name: string;
  check: () => Promise<void>;
}

export interface HttpServerOptions {
  host: string;
  port: number;
  log: Logger;
  metrics: Registry;
  /** Where Temporal's Prometheus exporter listens (127.0.0.1:port); merged into /metrics. */
  temporalMetricsAddress?: string;
  health: HealthCheck[];
  /** Extra routes, e.g. `POST /webhooks/<system>/<connection>`, `GET /api/orders/:connection/:orderKey`. Key: "METHOD /path". */
  routes?: Record<string, Handler>;
  /** Largest request body accepted (webhooks, codec): bigger ones get 413. */
  maxBodyBytes?: number;
}

export interface RunningHttpServer {
  url: string;
  close(): Promise<void>;
}

/**
 * The request body, or undefined when it is larger than `limit` (by its Content-Length, before
 * reading, or once the bytes read pass it). The rest of an oversized body is read and dropped
 * rather than the socket destroyed, so the client gets its 413 instead of a reset connection.
 */
function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    return Promise.resolve(undefined);
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) {
        chunks.push(chunk);
        return;
      }
      req.off('data', onData);
      req.off('end', onEnd);
      chunks.length = 0;
      req.resume();
      resolve(undefined);
    };
    const onEnd = () => resolve(Buffer.concat(chunks));
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', reject);
  });
}

/** The ops HTTP server: /healthz, /metrics, plus the routes other parts register (webhooks, codec). */
export async function startHttpServer(opts: HttpServerOptions): Promise<RunningHttpServer> {
  const log = opts.log.child({ component: 'http' });
  const requests = opts.metrics.counter(
    'mlc_http_requests_total',
    'HTTP requests served, by route and status',
  );
  const maxBody = opts.maxBodyBytes ?? 1024 * 1024;

  const routes: Record<string, Handler> = {
    'GET /healthz': async (_req, res) => {
      const results = await Promise.all(
        opts.health.map(async (h) => {
          try {
            await h.check();
            return [h.name, 'ok'] as const;
          } catch (err) {
            return [h.name, `failing: ${(err as Error).message}`] as const;
          }
        }),
      );
      const healthy = results.every(([, s]) => s === 'ok');
      sendJson(res, healthy ? 200 : 503, {
        status: healthy ? 'ok' : 'unhealthy',
        checks: Object.fromEntries(results),
      });
    },
    'GET /metrics': async (_req, res) => {
      let text = await opts.metrics.render();
      if (opts.temporalMetricsAddress) {
        try {
          const r = await fetch(`http://${opts.temporalMetricsAddress}/metrics`, {
            signal: AbortSignal.timeout(2000),
          });
          text += await r.text();
        } catch (err) {
          log.warn({ err: (err as Error).message }, 'could not read Temporal worker metrics');
        }
      }
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
      res.end(text);
    },
    ...opts.routes,
  };

  const table = compileRoutes(routes);
  const server = http.createServer((req, res) => {
    let pathname: string;
    try {
      pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    } catch {
      // An absolute-form request line Node accepts but URL cannot read (e.g. `POST http://[`).
      res.on('finish', () => requests.inc({ route: 'unmatched', status: String(res.statusCode) }));
      res.setHeader('connection', 'close');
      sendJson(res, 400, { error: 'malformed request URL' });
      return;
    }
    const match = matchRoute(table, req.method ?? 'GET', pathname);
    res.on('finish', () =>
      requests.inc({ route: match?.pattern ?? 'unmatched', status: String(res.statusCode) }),
    );
    if (!match) {
      sendJson(res, 404, { error: `no route ${req.method} ${pathname}` });
      return;
    }
    const { handler, params, pattern: route } = match;
    readBody(req, maxBody)
      .then(async (body) => {
        if (body === undefined) {
          res.setHeader('connection', 'close');
          sendJson(res, 413, { error: `request body larger than ${maxBody} bytes` });
          return;
        }
        await handler(req, res, body, params);
      })
      .catch((err: Error) => {
        log.error({ route, err: err.message }, 'request failed');
        if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
        else res.end();
      });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${opts.host}:${port}`;
  log.info({ url }, 'HTTP server listening');
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

interface CompiledRoute {
  method: string;
  pattern: string;
  segments: string[];
  handler: Handler;
}

function compileRoutes(routes: Record<string, Handler>): CompiledRoute[] {
  return Object.entries(routes).map(([key, handler]) => {
    const [method, path] = key.split(' ') as [string, string];
    return { method, pattern: key, segments: path.split('/'), handler };
  });
}

/** Exact segments match literally; `:name` matches one non-empty segment. */
function matchRoute(
  table: CompiledRoute[],
  method: string,
  pathname: string,
): { handler: Handler; params: Record<string, string>; pattern: string } | undefined {
  const parts = pathname.split('/');
  for (const route of table) {
    if (route.method !== method || route.segments.length !== parts.length) continue;
    const params: Record<string, string> = {};
    let ok = true;
    for (let i = 0; i < parts.length && ok; i++) {
      const seg = route.segments[i]!;
      const part = parts[i]!;
      if (seg.startsWith(':')) {
        if (!part) ok = false;
        else {
          try {
            params[seg.slice(1)] = decodeURIComponent(part);
          } catch {
            ok = false;
          }
        }
      } else if (seg !== part) ok = false;
    }
    if (ok) return { handler: route.handler, params, pattern: route.pattern };
  }
  return undefined;
}

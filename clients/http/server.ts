import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Registry } from '../../lib/metrics';

/** `params` holds the `:name` segments of the route pattern, URL-decoded. */
export type Handler = (
  req: http.IncomingMessage,
  res: http.ServerResponse,
  body: Buffer,
  params: Record<string, string>,
) => Promise<void> | void;

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
  /** Extra routes, e.g. `POST /webhooks/fedex`, `GET /api/orders/:connection/:orderKey`. Key: "METHOD /path". */
  routes?: Record<string, Handler>;
  /** Largest request body accepted (webhooks, codec): bigger ones get 413. */
  maxBodyBytes?: number;
}

export interface RunningHttpServer {
  url: string;
  close(): Promise<void>;
}

export function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
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
    const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
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

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Registry } from '../../lib/metrics';

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse, body: Buffer) => Promise<void> | void;

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
  /** Extra routes, e.g. `POST /webhooks/fedex`, `POST /codec/decode`. Key: "METHOD /path". */
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
  const requests = opts.metrics.counter('mlc_http_requests_total', 'HTTP requests served, by route and status');
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
      sendJson(res, healthy ? 200 : 503, { status: healthy ? 'ok' : 'unhealthy', checks: Object.fromEntries(results) });
    },
    'GET /metrics': async (_req, res) => {
      let text = await opts.metrics.render();
      if (opts.temporalMetricsAddress) {
        try {
          const r = await fetch(`http://${opts.temporalMetricsAddress}/metrics`, { signal: AbortSignal.timeout(2000) });
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

  const server = http.createServer((req, res) => {
    const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    const route = `${req.method} ${pathname}`;
    const handler = routes[route];
    res.on('finish', () => requests.inc({ route: handler ? route : 'unmatched', status: String(res.statusCode) }));
    if (!handler) {
      sendJson(res, 404, { error: `no route ${route}` });
      return;
    }
    readBody(req, maxBody)
      .then(async (body) => {
        if (body === undefined) {
          sendJson(res, 413, { error: `request body larger than ${maxBody} bytes` });
          return;
        }
        await handler(req, res, body);
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

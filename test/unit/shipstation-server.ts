// A scripted ShipStation server on 127.0.0.1 for the connector's tests: it records every request
// (headers, query, body) and answers from a route table (method + path pattern -> handler).

import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import {
  ShipStationClient,
  type ShipStationAuditEntry,
  type ShipStationClientOptions,
} from '../../connectors/shipstation/client';
import { unlimited } from '../../lib/ratelimit';

export interface RecordedRequest {
  method: string;
  path: string;
  query: Array<[string, string]>;
  headers: IncomingHttpHeaders;
  body: unknown;
}

export interface Answer {
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export type Handler = (req: RecordedRequest, params: string[]) => Answer;
export type Route = [string, RegExp, Handler];

export interface ScriptedShipStation {
  url: string;
  requests: RecordedRequest[];
  /** Routes are tried in order; the first whose method and pattern match answers. */
  routes: Route[];
  stop(): Promise<void>;
}

export async function startScriptedShipStation(routes: Route[] = []): Promise<ScriptedShipStation> {
  const requests: RecordedRequest[] = [];
  const state = { routes };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const text = Buffer.concat(chunks).toString('utf8');
      const recorded: RecordedRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: [...url.searchParams.entries()],
        headers: req.headers,
        body: text ? JSON.parse(text) : undefined,
      };
      requests.push(recorded);
      let answer: Answer = { status: 404, body: { Message: 'No HTTP resource was found' } };
      for (const [method, pattern, handler] of state.routes) {
        const m = pattern.exec(url.pathname);
        if (method === recorded.method && m) {
          answer = handler(recorded, m.slice(1));
          break;
        }
      }
      res.writeHead(answer.status ?? 200, { 'content-type': 'application/json', ...answer.headers });
      res.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    get routes() {
      return state.routes;
    },
    set routes(r) {
      state.routes = r;
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export const TEST_V1_KEY = 'ss-test-v1-key-0123456789';
export const TEST_V1_SECRET = 'ss-test-v1-secret-abcdef';
export const TEST_V2_KEY = 'ss-test-v2-key-9876543210';

export function testClient(
  url: string,
  overrides: Partial<ShipStationClientOptions> = {},
): { client: ShipStationClient; audit: ShipStationAuditEntry[]; sleeps: number[] } {
  const audit: ShipStationAuditEntry[] = [];
  const sleeps: number[] = [];
  const client = new ShipStationClient({
    connection: 'shipstation-test',
    v1BaseUrl: url,
    v2BaseUrl: url,
    apiKey: TEST_V1_KEY,
    apiSecret: TEST_V1_SECRET,
    v2ApiKey: TEST_V2_KEY,
    limiter: unlimited,
    timeoutMs: 2_000,
    log: pino({ level: 'silent' }),
    audit: async (e) => {
      audit.push(e);
    },
    random: () => 0,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    ...overrides,
  });
  return { client, audit, sleeps };
}

export const json = (body: unknown, status = 200, headers?: Record<string, string>): Answer => ({
  status,
  body,
  ...(headers ? { headers } : {}),
});

/** A V1 page answer for `items` under `collection`, honouring the request's page and pageSize. */
export function pageOf(collection: string, items: unknown[], req: RecordedRequest): Answer {
  const q = new Map(req.query);
  const page = Number(q.get('page') ?? 1);
  const size = Number(q.get('pageSize') ?? 100);
  return json({
    [collection]: items.slice((page - 1) * size, page * size),
    total: items.length,
    page,
    pages: Math.ceil(items.length / size),
  });
}

// A small scripted Plex Connect server on 127.0.0.1 for the connector's tests: it records every
// request and answers from a route table (method + path pattern -> handler).

import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { PlexClient, type PlexAuditEntry, type PlexClientOptions } from '../../connectors/plex/client';
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

export interface ScriptedPlex {
  url: string;
  requests: RecordedRequest[];
  /** Routes are tried in order; the first whose method and pattern match answers. */
  routes: Array<[string, RegExp, Handler]>;
  stop(): Promise<void>;
}

export async function startScriptedPlex(
  routes: Array<[string, RegExp, Handler]> = [],
): Promise<ScriptedPlex> {
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
      let answer: Answer = { status: 404, body: { code: 'RESOURCE_NOT_FOUND', message: 'Not found' } };
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

export const TEST_KEY = 'test-plex-consumer-key-0123456789';

export function testClient(
  url: string,
  overrides: Partial<PlexClientOptions> = {},
): { client: PlexClient; audit: PlexAuditEntry[]; sleeps: number[] } {
  const audit: PlexAuditEntry[] = [];
  const sleeps: number[] = [];
  const client = new PlexClient({
    connection: 'plex-test',
    baseUrl: url,
    apiKey: TEST_KEY,
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

export const json = (body: unknown, status = 200): Answer => ({ status, body });

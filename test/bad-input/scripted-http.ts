// A scripted HTTP server on 127.0.0.1 that answers with raw bytes, not just JSON: HTML error pages,
// truncated bodies, wrong content types, answers that never come, bodies that never end and
// connections that drop mid-body. The bad-input corpus points the real clients at it.

import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SeenRequest {
  method: string;
  path: string;
  query: Array<[string, string]>;
  headers: IncomingHttpHeaders;
  body: string;
}

/** What the server does with one request. */
export type Reply =
  /** Status, headers and a body, as given (no JSON encoding, no content-type unless given). */
  | { kind: 'raw'; status: number; headers?: Record<string, string>; body: string | Buffer }
  /** Read the request and never answer (the client's timeout must end the call). */
  | { kind: 'hang' }
  /** Send the headers, then `bytes` of filler as fast as the client reads (a gigantic body). */
  | { kind: 'flood'; status: number; contentType: string; bytes: number }
  /** Send the headers and one byte every 50 ms, until the client gives up or `maxMs` passes. */
  | { kind: 'trickle'; status: number; contentType: string; maxMs: number }
  /** Send the headers and the start of `body`, then drop the connection. */
  | { kind: 'drop'; status: number; contentType: string; body: string };

export type Script = (req: SeenRequest) => Reply;

export interface ScriptedHttp {
  url: string;
  requests: SeenRequest[];
  script: Script;
  stop(): Promise<void>;
}

export const json = (body: unknown, status = 200, headers: Record<string, string> = {}): Reply => ({
  kind: 'raw',
  status,
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

const FILLER = Buffer.alloc(64 * 1024, '<p>filler</p>\n');

function flood(res: ServerResponse, bytes: number): void {
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

function trickle(res: ServerResponse, maxMs: number): void {
  const started = Date.now();
  const timer = setInterval(() => {
    if (res.destroyed || Date.now() - started > maxMs) {
      clearInterval(timer);
      if (!res.destroyed) res.end();
      return;
    }
    res.write(' ');
  }, 50);
  res.on('close', () => clearInterval(timer));
}

export async function startScriptedHttp(script: Script): Promise<ScriptedHttp> {
  const requests: SeenRequest[] = [];
  const state = { script };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const seen: SeenRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: [...url.searchParams.entries()],
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(seen);
      const reply = state.script(seen);
      switch (reply.kind) {
        case 'raw':
          res.writeHead(reply.status, reply.headers ?? {});
          res.end(reply.body);
          return;
        case 'hang':
          return;
        case 'flood':
          res.writeHead(reply.status, { 'content-type': reply.contentType });
          flood(res, reply.bytes);
          return;
        case 'trickle':
          res.writeHead(reply.status, { 'content-type': reply.contentType });
          trickle(res, reply.maxMs);
          return;
        case 'drop':
          res.writeHead(reply.status, {
            'content-type': reply.contentType,
            'content-length': String(Buffer.byteLength(reply.body)),
          });
          res.write(reply.body.slice(0, Math.floor(reply.body.length / 2)));
          setTimeout(() => res.socket?.destroy(), 20);
          return;
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    get script() {
      return state.script;
    },
    set script(s) {
      state.script = s;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

// What an HTTP route is, apart from the server that serves it: connectors declare their webhook
// receivers with these, and clients/http/server.ts serves them.

import type http from 'node:http';

/** `params` holds the `:name` segments of the route pattern, URL-decoded. */
export type Handler = (
  req: http.IncomingMessage,
  res: http.ServerResponse,
  body: Buffer,
  params: Record<string, string>,
) => Promise<void> | void;

export function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

import type http from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { sendJson, type Handler } from './server';

/**
 * Temporal's remote codec endpoint (`POST /codec/encode`, `POST /codec/decode`): the Web UI and
 * `temporal` CLI send `{ payloads: [{ metadata: { k: base64 }, data: base64 }] }` and get the same
 * shape back. Decoding reveals personal data, so the endpoint answers only the configured browser
 * origins (CORS) and, when a token is configured, only requests that carry it as a bearer token.
 */
export interface CodecRouteOptions {
  codec: PayloadCodec;
  /** Web UI origins allowed to call the endpoint from a browser, e.g. http://127.0.0.1:8233. */
  allowedOrigins: string[];
  /** When set, `Authorization: Bearer <token>` is required. */
  token?: string;
}

interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

function fromJson(p: JsonPayload): Payload {
  const metadata: Record<string, Uint8Array> = {};
  for (const [k, v] of Object.entries(p.metadata ?? {})) metadata[k] = Buffer.from(v, 'base64');
  return { metadata, data: p.data === undefined ? undefined : Buffer.from(p.data, 'base64') };
}

function toJson(p: Payload): JsonPayload {
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(p.metadata ?? {})) metadata[k] = Buffer.from(v).toString('base64');
  return { metadata, data: p.data ? Buffer.from(p.data).toString('base64') : undefined };
}

function parsePayloads(body: Buffer): Payload[] | string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return 'body is not JSON';
  }
  const payloads = (parsed as { payloads?: unknown })?.payloads;
  if (!Array.isArray(payloads)) return 'body must be {"payloads": [...]}';
  for (const p of payloads) {
    if (typeof p !== 'object' || p === null) return 'each payload must be an object';
    const { metadata, data } = p as JsonPayload;
    if (data !== undefined && typeof data !== 'string') return 'payload data must be base64 text';
    if (
      metadata !== undefined &&
      (typeof metadata !== 'object' || Object.values(metadata).some((v) => typeof v !== 'string'))
    ) {
      return 'payload metadata values must be base64 text';
    }
  }
  return (payloads as JsonPayload[]).map(fromJson);
}

function tokenMatches(req: http.IncomingMessage, token: string): boolean {
  const given = Buffer.from(req.headers.authorization ?? '');
  const expected = Buffer.from(`Bearer ${token}`);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function cors(req: http.IncomingMessage, res: http.ServerResponse, allowed: string[]): boolean {
  const origin = req.headers.origin;
  if (!origin) return true; // not a browser (CLI, curl)
  if (!allowed.includes(origin)) return false;
  res.setHeader('Access-Control-Allow-Origin', origin);
  res.setHeader('Access-Control-Allow-Credentials', 'true');
  res.setHeader('Access-Control-Allow-Headers', 'Content-Type, Authorization, X-Namespace');
  res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
  res.setHeader('Vary', 'Origin');
  return true;
}

export function codecRoutes(opts: CodecRouteOptions): Record<string, Handler> {
  const handle =
    (op: 'encode' | 'decode'): Handler =>
    async (req, res, body) => {
      if (!cors(req, res, opts.allowedOrigins)) return sendJson(res, 403, { error: 'origin not allowed' });
      if (opts.token && !tokenMatches(req, opts.token))
        return sendJson(res, 401, { error: 'missing or wrong bearer token' });
      const payloads = parsePayloads(body);
      if (typeof payloads === 'string') return sendJson(res, 400, { error: payloads });
      try {
        const out = await opts.codec[op](payloads);
        sendJson(res, 200, { payloads: out.map(toJson) });
      } catch (err) {
        sendJson(res, 400, { error: `cannot ${op}: ${(err as Error).message}` });
      }
    };
  const preflight: Handler = (req, res) => {
    if (!cors(req, res, opts.allowedOrigins)) return sendJson(res, 403, { error: 'origin not allowed' });
    res.writeHead(204).end();
  };
  return {
    'POST /codec/encode': handle('encode'),
    'POST /codec/decode': handle('decode'),
    'OPTIONS /codec/encode': preflight,
    'OPTIONS /codec/decode': preflight,
  };
}

import type http from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { z } from 'zod';
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

/**
 * The body both ends exchange: `temporal.api.common.v1.Payloads` in the protobuf JSON mapping. In
 * that mapping an empty repeated field or map and an empty bytes field are omitted (the CLI sends
 * `{}` for a query without arguments), `null` stands for the default value, and bytes are base64,
 * standard or URL-safe, with or without padding. Unknown fields are refused, as protojson does.
 */
const BASE64 = /^(?:[A-Za-z0-9+/]*|[A-Za-z0-9_-]*)={0,2}$/;
const isBase64 = (s: string) => BASE64.test(s) && (s.endsWith('=') ? s.length % 4 === 0 : s.length % 4 !== 1);
/** The message for a value that is not an object; unknown keys keep zod's own message, which names them. */
const notAnObject = (message: string) => (issue: { code: string }) =>
  issue.code === 'unrecognized_keys' ? undefined : message;
const bytesSchema = z.string({ error: 'must be base64 text' }).refine(isBase64, 'must be base64 text');
const payloadSchema = z.strictObject(
  {
    metadata: z.record(z.string(), bytesSchema, { error: 'must be an object of base64 texts' }).nullish(),
    data: bytesSchema.nullish(),
  },
  { error: notAnObject('must be a payload object {"metadata": {...}, "data": base64}') },
);
const payloadsSchema = z.strictObject(
  { payloads: z.array(payloadSchema, { error: 'must be a list of payloads' }).nullish() },
  { error: notAnObject('body must be a JSON object {"payloads": [...]}') },
);
type JsonPayload = z.infer<typeof payloadSchema>;

function fromJson(p: JsonPayload): Payload {
  const metadata: Record<string, Uint8Array> = Object.fromEntries(
    Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')]),
  );
  return { metadata, data: p.data == null ? undefined : Buffer.from(p.data, 'base64') };
}

function toJson(p: Payload): JsonPayload {
  const metadata: Record<string, string> = Object.fromEntries(
    Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
  );
  return { metadata, data: p.data ? Buffer.from(p.data).toString('base64') : undefined };
}

const oneLine = (text: string) => text.replace(/\s*[\r\n]+\s*/g, ' ');

/** Where in the body a problem is, on one line: `payloads[0].metadata["a b"]`. */
function pathOf(path: PropertyKey[]): string {
  return path
    .map((k, i) => {
      if (typeof k === 'number') return `[${k}]`;
      const name = String(k);
      if (/^[A-Za-z_$][\w$-]*$/.test(name)) return i === 0 ? name : `.${name}`;
      return `[${JSON.stringify(name)}]`;
    })
    .join('');
}

/** The payloads of a request body, or a one-line reason it is malformed. */
export function parsePayloads(body: Buffer): Payload[] | string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return 'body is not JSON';
  }
  const result = payloadsSchema.safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const where = pathOf(issue.path);
    return oneLine(`${where ? `${where}: ` : ''}${issue.message}`);
  }
  return (result.data.payloads ?? []).map(fromJson);
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
        sendJson(res, 400, { error: `cannot ${op}: ${oneLine((err as Error).message)}` });
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

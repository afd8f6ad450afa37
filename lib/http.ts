// A small HTTP client shared by the system clients: per-request timeout, JSON and form bodies, a cap
// on the answer's size, typed errors that carry status, safe headers and a body excerpt, and
// Retry-After parsing. Requests go over node:http(s) with one keep-alive agent per process (about a
// fifth of fetch's CPU per request in a micro-benchmark; bench/RESULTS.md has the pipeline's figure);
// an injected fetch replaces the transport in tests. Request headers are never logged or copied into errors: they carry credentials.

import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import { TextDecoder } from 'node:util';
import zlib from 'node:zlib';
import type { Logger } from 'pino';
import { redactSecrets } from './logger';

export interface HttpRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  headers?: Record<string, string>;
  /** Sent as application/json. */
  json?: unknown;
  /** Sent as application/x-www-form-urlencoded. */
  form?: Record<string, string>;
  timeoutMs: number;
  /** Larger answers are not read to the end and fail as HttpTransportError 'too_large' (default 64 MiB). */
  maxResponseBytes?: number;
}

/** A runaway answer must not take the worker's memory: nothing we call answers anywhere near this. */
export const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

/** Response headers by name (case-insensitive), as fetch's Headers answers them. */
export interface ResponseHeaders {
  get(name: string): string | null;
}

export interface HttpResponse {
  status: number;
  headers: ResponseHeaders;
  text: string;
  durationMs: number;
}

export interface HttpOptions {
  log?: Logger;
  /** Replaces the node:http transport (tests that record or fake what goes over the wire). */
  fetch?: typeof fetch;
}

/** Response headers safe to keep in errors and logs (no cookies, no auth). */
const SAFE_HEADERS = [
  'content-type',
  'retry-after',
  'x-ratelimit-limit',
  'x-ratelimit-remaining',
  'x-ratelimit-reset',
];

export function safeHeaders(headers: ResponseHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of SAFE_HEADERS) {
    const v = headers.get(name);
    if (v !== null) out[name] = v;
  }
  return out;
}

/** The first `max` characters of a body, with any registered secret masked. */
export function bodyExcerpt(text: string, max = 500): string {
  const cut = text.length > max ? `${text.slice(0, max)}…` : text;
  return redactSecrets(cut);
}

/** The path of a URL without its query string (queries can carry keys). */
export function pathOf(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return url.split('?')[0] ?? url;
  }
}

/** The server answered with a status the caller treats as an error. */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly headers: Record<string, string>,
    readonly bodyExcerpt: string,
  ) {
    super(`${method} ${path} answered HTTP ${status}`);
  }
}

/**
 * No usable HTTP answer: the request timed out or the connection failed before a complete answer
 * ('timeout', 'network'), or the answer was larger than the caller reads ('too_large': the server
 * did answer, and sending the request again would only move the same bytes again).
 */
export class HttpTransportError extends Error {
  override readonly name = 'HttpTransportError';
  constructor(
    readonly method: string,
    readonly path: string,
    readonly kind: 'timeout' | 'network' | 'too_large',
    detail: string,
  ) {
    super(`${method} ${path} failed (${kind}): ${detail}`);
  }

  /**
   * What the connectors' Unavailable errors carry as `transport`: 'timeout' or 'network' when the
   * server never answered completely; undefined for 'too_large', a bad answer from a server that was
   * reached (a connection test must not report it as "cannot reach").
   */
  get unanswered(): 'timeout' | 'network' | undefined {
    return this.kind === 'too_large' ? undefined : this.kind;
  }
}

/**
 * The request could not be sent at all (a header Node refuses: usually a credential with a line
 * break or a non-Latin-1 character pasted into it). Nothing was sent, and sending it again fails the
 * same way: callers treat it as a problem with the credential, never as a network error to retry.
 * The message names the header, never its value.
 */
export class HttpRequestInvalid extends Error {
  override readonly name = 'HttpRequestInvalid';
  constructor(
    readonly method: string,
    readonly path: string,
    detail: string,
  ) {
    // Node's message names the header ("Invalid character in header content [\"authorization\"]").
    super(`${method} ${path} cannot be sent: ${detail.replace(/\s+/g, ' ')}`);
  }
}

export function httpError(req: Pick<HttpRequest, 'method' | 'url'>, res: HttpResponse): HttpError {
  return new HttpError(
    req.method,
    pathOf(req.url),
    res.status,
    safeHeaders(res.headers),
    bodyExcerpt(res.text),
  );
}

/**
 * Send one request. Any HTTP status resolves (the caller decides what an error is); a timeout, a
 * network failure or an answer over `maxResponseBytes` rejects with HttpTransportError.
 */
export async function httpRequest(req: HttpRequest, opts: HttpOptions = {}): Promise<HttpResponse> {
  const headers: Record<string, string> = { accept: 'application/json', ...req.headers };
  let body: string | undefined;
  if (req.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(req.json);
  } else if (req.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(req.form).toString();
  }
  const path = pathOf(req.url);
  const limit = req.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const started = performance.now();
  let answer: { status: number; headers: ResponseHeaders; text: string };
  try {
    answer = opts.fetch
      ? await viaFetch(opts.fetch, req, headers, body, limit)
      : await viaNodeHttp(req, headers, body, limit);
  } catch (err) {
    if (err instanceof HttpRequestInvalid) throw err;
    if (err instanceof AnswerTooLarge) {
      opts.log?.warn({ method: req.method, path, limit: err.limit }, 'http answer too large; not read');
      throw new HttpTransportError(req.method, path, 'too_large', err.message);
    }
    const e = err as Error;
    const timedOut = e.name === 'TimeoutError' || e.name === 'AbortError';
    const detail = timedOut ? `no answer within ${req.timeoutMs} ms` : describeNetworkError(e);
    opts.log?.warn(
      { method: req.method, path, kind: timedOut ? 'timeout' : 'network' },
      'http request failed',
    );
    throw new HttpTransportError(req.method, path, timedOut ? 'timeout' : 'network', detail);
  }
  const durationMs = Math.round(performance.now() - started);
  opts.log?.debug({ method: req.method, path, status: answer.status, durationMs }, 'http request');
  return { ...answer, durationMs };
}

async function viaFetch(
  doFetch: typeof fetch,
  req: HttpRequest,
  headers: Record<string, string>,
  body: string | undefined,
  limit: number,
): Promise<{ status: number; headers: ResponseHeaders; text: string }> {
  const res = await doFetch(req.url, {
    method: req.method,
    headers,
    body,
    signal: AbortSignal.timeout(req.timeoutMs),
  });
  return { status: res.status, headers: res.headers, text: await readText(res, limit) };
}

/**
 * Keep-alive connections, one pool per process and scheme. Node's agent closes an idle connection
 * a second before the server's `Keep-Alive: timeout=` hint, so a reused connection is rarely one the
 * server is closing; when it is (reset before any answer), an idempotent request is sent once more.
 */
const AGENTS = {
  'http:': new http.Agent({ keepAlive: true }),
  'https:': new https.Agent({ keepAlive: true }),
};

const IDEMPOTENT = new Set(['GET', 'PUT', 'DELETE']);

function timeoutError(): Error {
  const err = new Error('no answer in time');
  err.name = 'TimeoutError';
  return err;
}

/**
 * One request over node:http(s). The timeout covers the whole exchange, answer body included, as
 * fetch's AbortSignal.timeout did. The body is decompressed (gzip, deflate, br) and counted after
 * decompression against `limit`; a declared length over the limit fails before reading.
 */
function viaNodeHttp(
  req: HttpRequest,
  headers: Record<string, string>,
  body: string | undefined,
  limit: number,
): Promise<{ status: number; headers: ResponseHeaders; text: string }> {
  return new Promise((resolve, reject) => {
    let url: URL;
    try {
      url = new URL(req.url);
    } catch {
      reject(new Error(`not a URL: ${pathOf(req.url)}`));
      return;
    }
    const agent = AGENTS[url.protocol as keyof typeof AGENTS];
    if (!agent) {
      reject(new Error(`unsupported protocol ${url.protocol}`));
      return;
    }
    const transport = url.protocol === 'https:' ? https : http;
    const payload = body === undefined ? undefined : Buffer.from(body, 'utf8');
    const wireHeaders: Record<string, string> = {
      'accept-encoding': 'gzip, deflate, br',
      ...headers,
      ...(payload ? { 'content-length': String(payload.length) } : {}),
    };
    let settled = false;
    let current: http.ClientRequest | undefined;
    const timer = setTimeout(() => fail(timeoutError()), req.timeoutMs);
    function fail(err: unknown): void {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      current?.destroy();
      reject(err);
    }
    const send = (retried: boolean) => {
      let answered = false;
      const request = transport.request(url, { method: req.method, headers: wireHeaders, agent }, (res) => {
        answered = true;
        readAnswer(res, limit).then(
          (text) => {
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            resolve({ status: res.statusCode ?? 0, headers: new NodeHeaders(res.headers), text });
          },
          (err: unknown) => fail(err),
        );
      });
      current = request;
      request.on('error', (err: Error & { code?: string }) => {
        // A kept-alive connection the server closed just as this request went out.
        const stale =
          request.reusedSocket && !answered && (err.code === 'ECONNRESET' || err.code === 'EPIPE');
        if (stale && !retried && !settled && IDEMPOTENT.has(req.method)) send(true);
        else fail(err);
      });
      request.end(payload);
    };
    try {
      send(false);
    } catch (err) {
      // Thrown before anything was sent: a header name or value Node will not put on the wire.
      const code = (err as { code?: string }).code;
      fail(
        code === 'ERR_INVALID_CHAR' || code === 'ERR_INVALID_HTTP_TOKEN'
          ? new HttpRequestInvalid(req.method, pathOf(req.url), (err as Error).message)
          : err,
      );
    }
  });
}

/** The answer's body as text, decompressed, failing with AnswerTooLarge past `limit` bytes. */
function readAnswer(res: http.IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const header = res.headers['content-length'];
    const declared = header === undefined || header.trim() === '' ? NaN : Number(header);
    if (Number.isFinite(declared) && declared > limit) {
      res.destroy();
      reject(new AnswerTooLarge(limit));
      return;
    }
    const encoding = (res.headers['content-encoding'] ?? '').trim().toLowerCase();
    const decoder =
      encoding === 'gzip' || encoding === 'x-gzip'
        ? zlib.createGunzip()
        : encoding === 'deflate'
          ? zlib.createInflate()
          : encoding === 'br'
            ? zlib.createBrotliDecompress()
            : undefined;
    const stream: Readable = decoder ? res.pipe(decoder) : res;
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const stop = (err: Error) => {
      if (done) return;
      done = true;
      res.destroy();
      decoder?.destroy();
      reject(err);
    };
    stream.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) stop(new AnswerTooLarge(limit));
      else chunks.push(chunk);
    });
    stream.on('end', () => {
      if (done) return;
      done = true;
      resolve(new TextDecoder().decode(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
    });
    stream.on('error', (err) => stop(err));
    if (decoder) res.on('error', (err) => stop(err));
    // The connection closed before the declared end of the body.
    res.on('close', () => {
      if (!res.complete)
        stop(
          Object.assign(new Error('connection closed before the answer was complete'), {
            code: 'ECONNRESET',
          }),
        );
    });
  });
}

/** fetch-style `get` over node's header object (names are lower-case; repeated ones are joined). */
class NodeHeaders implements ResponseHeaders {
  constructor(private readonly raw: http.IncomingHttpHeaders) {}
  get(name: string): string | null {
    const v = this.raw[name.toLowerCase()];
    if (v === undefined) return null;
    return Array.isArray(v) ? v.join(', ') : v;
  }
}

/** Thrown by readText when the body goes past its limit; the rest of the body is not read. */
export class AnswerTooLarge extends Error {
  override readonly name = 'AnswerTooLarge';
  constructor(readonly limit: number) {
    super(`answer larger than the cap of ${limit} bytes; stopped reading`);
  }
}

/**
 * The body as text (UTF-8, as Response.text() decodes it), read no further than `limit` bytes:
 * throws AnswerTooLarge as soon as the declared length or the bytes read pass it.
 */
export async function readText(res: Response, limit: number): Promise<string> {
  const header = res.headers.get('content-length');
  const declared = header === null || header.trim() === '' ? NaN : Number(header);
  if (res.body && Number.isFinite(declared) && declared > limit) {
    await res.body.cancel();
    throw new AnswerTooLarge(limit);
  }
  // A declared length within the cap frames the body (HTTP/1.1 reads no further than it), so it is
  // read in one go; only an answer of unknown length, or a compressed one (its declared length is
  // before decompression), is counted chunk by chunk.
  const encoding = (res.headers.get('content-encoding') ?? '').trim().toLowerCase();
  const plain = encoding === '' || encoding === 'identity';
  if (!res.body || (Number.isFinite(declared) && plain)) return res.text();
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw new AnswerTooLarge(limit);
    }
    chunks.push(value);
  }
  return new TextDecoder().decode(Buffer.concat(chunks));
}

function describeNetworkError(e: Error): string {
  // fetch puts the system error in `cause`; node:http raises it with its `code`.
  const err = e as Error & { code?: string; cause?: { code?: string; message?: string } };
  return redactSecrets(err.cause?.code ?? err.code ?? err.cause?.message ?? e.message);
}

/** Parse a JSON body; undefined when it is empty or not JSON. */
export function parseJson<T = unknown>(text: string): T | undefined {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

/**
 * Retry-After as milliseconds from `nowMs`: either delay-seconds or an HTTP date. Undefined when
 * absent or unreadable; never negative.
 */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}

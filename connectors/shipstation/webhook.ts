// ShipStation webhooks. V1 posts an unsigned `{resource_url, resource_type}`: the body is only a
// hint, defended by a secret token in our URL (compared in constant time) and by re-fetching the
// resource with our own credentials from ShipStation's hosts only (ShipStationClient.getByResourceUrl).
// V2 signs its posts with RSA-SHA256; the public keys come from a JWKS, cached by key id and read
// again (at most once a minute) when a key id is unknown or its cached key does not verify.

import {
  createHash,
  createPublicKey,
  timingSafeEqual,
  verify,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto';
import type { Logger } from 'pino';
import { AnswerTooLarge, parseJson, readText } from '../../lib/http';
import { SS_WEBHOOK_EVENTS, type SsWebhookEvent } from './wire';

// ------------------------------------------------------------------ V1

export type V1WebhookParse =
  | { ok: true; resourceUrl: string; resourceType: SsWebhookEvent; dedupKey: string }
  | { ok: false; error: string };

/** ShipStation documents a 200-character limit; leave room, but refuse anything absurd. */
const MAX_RESOURCE_URL = 2_048;

/** Parse a V1 webhook body. Never throws: a malformed body is `{ ok: false }` with the reason. */
export function parseV1Webhook(raw: Buffer | string): V1WebhookParse {
  const text = typeof raw === 'string' ? raw : raw.toString('utf8');
  const body = parseJson<unknown>(text);
  if (body === undefined) return { ok: false, error: 'body is not JSON' };
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, error: 'body must be a JSON object' };
  }
  const { resource_url: url, resource_type: type } = body as Record<string, unknown>;
  if (typeof url !== 'string' || url === '')
    return { ok: false, error: 'resource_url must be a non-empty string' };
  if (url.length > MAX_RESOURCE_URL)
    return { ok: false, error: `resource_url is longer than ${MAX_RESOURCE_URL}` };
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { ok: false, error: 'resource_url is not an absolute URL' };
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    return { ok: false, error: 'resource_url must be http(s)' };
  }
  if (typeof type !== 'string' || !(SS_WEBHOOK_EVENTS as readonly string[]).includes(type)) {
    return { ok: false, error: `resource_type must be one of ${SS_WEBHOOK_EVENTS.join(', ')}` };
  }
  const dedupKey = `shipstation:v1:sha256:${createHash('sha256').update(`${type}\n${url}`).digest('hex')}`;
  return { ok: true, resourceUrl: url, resourceType: type as SsWebhookEvent, dedupKey };
}

/**
 * The secret token from our webhook URL against the configured one, in constant time: both sides
 * are hashed first, so neither the content nor the length leaks through timing.
 */
export function checkWebhookToken(
  given: string | null | undefined,
  expected: string | null | undefined,
): boolean {
  if (!given || !expected) return false;
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

// ------------------------------------------------------------------ V2

export const V2_KEY_ID_HEADER = 'x-shipengine-rsa-sha256-key-id';
export const V2_SIGNATURE_HEADER = 'x-shipengine-rsa-sha256-signature';
export const V2_TIMESTAMP_HEADER = 'x-shipengine-timestamp';

export type V2VerifyResult =
  | { ok: true; keyId: string }
  /**
   * 404: a signature header is missing (what the guide says to answer); 400: timestamp unreadable or
   * outside the window; 401: unknown key or bad signature; 503: the JWKS could not be read, so
   * nothing can be decided (ShipStation should try again later).
   */
  | { ok: false; status: 400 | 401 | 404 | 503; reason: string };

export interface V2WebhookVerifierOptions {
  /** Where the public keys are published (https://api.shipengine.com/jwks; configurable for simulators). */
  jwksUrl: string;
  /** Accepted clock difference either way (default 5 minutes). */
  toleranceMs?: number;
  /**
   * An unknown key id, or a known one whose cached key does not verify, refetches the JWKS at most
   * this often (default 1 minute).
   */
  minRefetchIntervalMs?: number;
  timeoutMs?: number;
  /** A JWKS answer larger than this fails the fetch unread (default 1 MiB; a JWKS is a few KB). */
  maxJwksBytes?: number;
  now?: () => number;
  fetch?: typeof fetch;
  log?: Logger;
}

type HeaderBag = Record<string, string | string[] | undefined> | { get(name: string): string | null };

function header(headers: HeaderBag, name: string): string | undefined {
  if (typeof (headers as { get?: unknown }).get === 'function') {
    return (headers as { get(name: string): string | null }).get(name) ?? undefined;
  }
  const bag = headers as Record<string, string | string[] | undefined>;
  const key = Object.keys(bag).find((k) => k.toLowerCase() === name);
  const value = key === undefined ? undefined : bag[key];
  return Array.isArray(value) ? value[0] : value;
}

/** `x-shipengine-timestamp` as epoch ms: epoch seconds or an ISO-8601 instant (the format is undocumented). */
export function parseV2Timestamp(value: string): number | undefined {
  const v = value.trim();
  if (/^\d{9,11}(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(v)) return undefined;
  const ms = Date.parse(v);
  return Number.isNaN(ms) ? undefined : ms;
}

export const DEFAULT_MAX_JWKS_BYTES = 1024 * 1024;

/**
 * Verifies V2 webhook signatures: RSASSA-PKCS1-v1_5 with SHA-256 over `<timestamp>.<raw body>`,
 * with the key the key-id header names, taken from the JWKS. Keys are cached. The JWKS is fetched
 * again when a key id is unknown (a new key) or when the cached key under a known id does not verify
 * (new key material under the same id, or a wrong key on the first fetch), but at most once per
 * minute, so forged key ids or signatures cannot make us hammer the JWKS host. Concurrent refetches
 * share one request.
 */
export class ShipStationV2WebhookVerifier {
  private keys = new Map<string, KeyObject>();
  private lastFetchAt: number | undefined;
  private lastFetchFailed = false;
  private inflight: Promise<void> | undefined;
  private readonly now: () => number;

  constructor(private readonly opts: V2WebhookVerifierOptions) {
    this.now = opts.now ?? Date.now;
  }

  async verify(headers: HeaderBag, rawBody: Buffer | string): Promise<V2VerifyResult> {
    const keyId = header(headers, V2_KEY_ID_HEADER)?.trim();
    const signature = header(headers, V2_SIGNATURE_HEADER)?.trim();
    const timestamp = header(headers, V2_TIMESTAMP_HEADER)?.trim();
    if (!keyId || !signature || !timestamp)
      return { ok: false, status: 404, reason: 'signature headers missing' };

    const at = parseV2Timestamp(timestamp);
    if (at === undefined) return { ok: false, status: 400, reason: 'timestamp unreadable' };
    const tolerance = this.opts.toleranceMs ?? 5 * 60_000;
    if (Math.abs(this.now() - at) > tolerance) {
      return { ok: false, status: 400, reason: 'timestamp outside the accepted window' };
    }
    if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(signature))
      return { ok: false, status: 401, reason: 'signature malformed' };

    let key = this.keys.get(keyId);
    if (!key) {
      await this.refetchIfAllowed();
      if (this.lastFetchFailed && this.keys.size === 0) {
        return { ok: false, status: 503, reason: 'the JWKS could not be read' };
      }
      key = this.keys.get(keyId);
    }
    if (!key) {
      // The JWKS could not be read when last asked: the id may be one it now lists. 503 lets
      // ShipStation send the post again later instead of it being refused for good.
      if (this.lastFetchFailed) return { ok: false, status: 503, reason: 'the JWKS could not be read' };
      return { ok: false, status: 401, reason: 'unknown key id' };
    }

    const body = typeof rawBody === 'string' ? Buffer.from(rawBody, 'utf8') : rawBody;
    const signed = Buffer.concat([Buffer.from(`${timestamp}.`, 'utf8'), body]);
    if (signatureValid(signed, key, signature)) return { ok: true, keyId };

    // The cached key may be stale: ShipStation can replace the key material under the same id. Look
    // at the JWKS once more (the interval limit keeps forged signatures from hammering it) and try
    // the key it now has, if the fetch happened and still lists the id.
    await this.refetchIfAllowed();
    const fresh = this.keys.get(keyId);
    if (fresh && fresh !== key && signatureValid(signed, fresh, signature)) return { ok: true, keyId };
    // Unable to read the JWKS, we cannot tell a replaced key from a forged signature: not final.
    if (this.lastFetchFailed) return { ok: false, status: 503, reason: 'the JWKS could not be read' };
    return { ok: false, status: 401, reason: 'signature does not match' };
  }

  /** Refetch the JWKS unless that happened less than the interval ago; concurrent callers share one fetch. */
  private async refetchIfAllowed(): Promise<void> {
    if (!this.inflight) {
      const interval = this.opts.minRefetchIntervalMs ?? 60_000;
      if (this.lastFetchAt !== undefined && this.now() - this.lastFetchAt < interval) return;
      this.lastFetchAt = this.now();
      this.inflight = this.fetchKeys()
        .then(() => {
          this.lastFetchFailed = false;
        })
        .catch((err: Error) => {
          this.lastFetchFailed = true;
          this.opts.log?.warn({ err: err.message }, 'ShipStation JWKS fetch failed');
        })
        .finally(() => {
          this.inflight = undefined;
        });
    }
    await this.inflight;
  }

  private async fetchKeys(): Promise<void> {
    const doFetch = this.opts.fetch ?? fetch;
    const res = await doFetch(this.opts.jwksUrl, {
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(this.opts.timeoutMs ?? 10_000),
    });
    if (!res.ok) throw new Error(`JWKS answered HTTP ${res.status}`);
    const limit = this.opts.maxJwksBytes ?? DEFAULT_MAX_JWKS_BYTES;
    let text: string;
    try {
      text = await readText(res, limit);
    } catch (err) {
      if (err instanceof AnswerTooLarge) {
        throw new Error(`JWKS answer larger than ${limit} bytes`, { cause: err });
      }
      throw err;
    }
    const body = parseJson<{ keys?: unknown }>(text);
    if (!body || !Array.isArray(body.keys)) throw new Error('JWKS has no keys array');
    const keys = new Map<string, KeyObject>();
    for (const jwk of body.keys) {
      if (typeof jwk !== 'object' || jwk === null) continue;
      const { kid, kty } = jwk as { kid?: unknown; kty?: unknown };
      if (typeof kid !== 'string' || kty !== 'RSA') continue;
      try {
        keys.set(kid, createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' }));
      } catch {
        // A key we cannot read is skipped; the others still verify.
      }
    }
    this.keys = keys;
  }
}

function signatureValid(signed: Buffer, key: KeyObject, signature: string): boolean {
  try {
    return verify('sha256', signed, key, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}

export type V2WebhookParse =
  | { ok: true; resourceUrl: string; resourceType: string; data?: Record<string, unknown> }
  | { ok: false; error: string };

/** Parse a (verified) V2 webhook body: `{resource_url, resource_type, data?}`. Never throws. */
export function parseV2Webhook(raw: Buffer | string): V2WebhookParse {
  const body = parseJson<unknown>(typeof raw === 'string' ? raw : raw.toString('utf8'));
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, error: 'body must be a JSON object' };
  }
  const { resource_url: url, resource_type: type, data } = body as Record<string, unknown>;
  if (typeof url !== 'string' || !/^https?:\/\//.test(url))
    return { ok: false, error: 'resource_url must be an http(s) URL' };
  if (typeof type !== 'string' || !/^[A-Z0-9_]{1,64}$/.test(type)) {
    return { ok: false, error: 'resource_type must be an upper-case event name' };
  }
  if (data !== undefined && (typeof data !== 'object' || data === null || Array.isArray(data))) {
    return { ok: false, error: 'data must be an object when present' };
  }
  return {
    ok: true,
    resourceUrl: url,
    resourceType: type,
    ...(data ? { data: data as Record<string, unknown> } : {}),
  };
}

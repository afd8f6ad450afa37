// FedEx Advanced Integrated Visibility (AIV) pushes: signature check and body parser. Pure (no I/O),
// so the HTTP route stays thin and the parser is unit-tested on malformed bodies.

import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { TrackingError, TrackingUpdate } from '../../domain/model';
import { parseJson } from '../../lib/http';
import { parseTrackResponse } from './mapping';
import type { FedexTrackResponse } from './wire';

/**
 * `fdx-signature` is Base64(HMAC-SHA256(key = security token, message = raw body)). Compared in
 * constant time over the decoded bytes; a missing, malformed or wrong-length header is simply false.
 */
export function verifyAivSignature(
  rawBody: Buffer,
  header: string | undefined,
  securityToken: string,
): boolean {
  if (!header || !securityToken) return false;
  const expected = createHmac('sha256', securityToken).update(rawBody).digest();
  const text = header.trim();
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text)) return false;
  const given = Buffer.from(text, 'base64');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * Identity of one scan: the same scan seen by the tracking poll and by a push gets the same key,
 * so tracking_events stores it once whichever path saw it first.
 */
export function fedexEventKey(
  update: Pick<TrackingUpdate, 'trackingNumber' | 'rawCode' | 'eventTime'>,
): string {
  return `fedex:${update.trackingNumber}:${update.rawCode}:${update.eventTime}`;
}

export type AivParseResult =
  | {
      ok: true;
      /** Oldest scan first: FedEx may push events out of order. */
      updates: TrackingUpdate[];
      errors: TrackingError[];
      /** Dedup key of the whole push, from the events it carries (not from FedEx's transaction id). */
      dedupKey: string;
      eventType: string;
    }
  | { ok: false; error: string };

const MAX_RESULTS = 100;
/** FedEx tracking numbers are 12 to 34 digits; leave room, but nothing a database key cannot hold. */
const TRACKING_NUMBER = /^[A-Za-z0-9-]{1,40}$/;
/** FedEx status codes are two letters (OC, PU, IT, DL, ...). */
const STATUS_CODE = /^[A-Za-z0-9_]{1,10}$/;

/** Parse an AIV push body (Track-API shaped). Never throws: malformed input is `{ ok: false }`. */
export function parseAivWebhook(raw: Buffer | string, opts: { now: Date }): AivParseResult {
  const text = typeof raw === 'string' ? raw : raw.toString('utf8');
  const body = parseJson<unknown>(text);
  if (body === undefined) return { ok: false, error: 'body is not JSON' };
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, error: 'body must be a JSON object' };
  }
  const output = (body as { output?: unknown }).output;
  if (typeof output !== 'object' || output === null || Array.isArray(output)) {
    return { ok: false, error: 'body has no output object' };
  }
  const results = (output as { completeTrackResults?: unknown }).completeTrackResults;
  if (!Array.isArray(results) || results.length === 0) {
    return { ok: false, error: 'output.completeTrackResults must be a non-empty array' };
  }
  if (results.length > MAX_RESULTS) return { ok: false, error: `more than ${MAX_RESULTS} track results` };
  for (const [i, r] of results.entries()) {
    if (typeof r !== 'object' || r === null || Array.isArray(r)) {
      return { ok: false, error: `output.completeTrackResults[${i}] must be an object` };
    }
    const trackResults = (r as { trackResults?: unknown }).trackResults;
    if (!Array.isArray(trackResults) || trackResults.some((t) => typeof t !== 'object' || t === null)) {
      return {
        ok: false,
        error: `output.completeTrackResults[${i}].trackResults must be an array of objects`,
      };
    }
  }
  let parsed: { updates: TrackingUpdate[]; errors: TrackingError[] };
  try {
    parsed = parseTrackResponse(body as FedexTrackResponse, opts);
  } catch {
    // Fields of the wrong type deep inside (a number where text belongs, say).
    return { ok: false, error: 'track results have an unexpected shape' };
  }
  // An update whose tracking number or status code is not one FedEx could send is left out: it
  // could match no shipment, and would otherwise reach the database keys as it came.
  const updates = parsed.updates.filter(
    (u) =>
      typeof u.trackingNumber === 'string' &&
      TRACKING_NUMBER.test(u.trackingNumber) &&
      typeof u.rawCode === 'string' &&
      STATUS_CODE.test(u.rawCode),
  );
  if (updates.length === 0) {
    return {
      ok: false,
      error:
        'no tracking number with a status code in the body (tracking numbers are 1 to 40 letters or digits, status codes 1 to 10)',
    };
  }
  updates.sort((a, b) => a.eventTime.localeCompare(b.eventTime));
  const keys = updates.map(fedexEventKey).sort();
  const dedupKey =
    keys.length === 1
      ? keys[0]!
      : `fedex:sha256:${createHash('sha256').update(keys.join('\n')).digest('hex')}`;
  return {
    ok: true,
    updates,
    errors: parsed.errors,
    dedupKey,
    eventType: updates[updates.length - 1]!.rawCode,
  };
}

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  backoffMs,
  FEDEX_ERROR_TYPES,
  FedexAuthError,
  FedexBusinessError,
  fedexErrorFromResponse,
  FedexRateLimitError,
  FedexUnavailableError,
  msUntilMidnightGmt,
  parseFedexErrorBody,
  rateLimitWaitMs,
} from '../../connectors/fedex/errors';
import { bodyExcerpt, parseRetryAfter, pathOf, safeHeaders } from '../../lib/http';
import { registerSecret } from '../../lib/logger';

const envelope = (code: string, message = 'msg') =>
  JSON.stringify({ transactionId: 'tx-1', errors: [{ code, message }] });
const at = Date.parse('2026-11-21T16:00:00Z');
const noJitter = () => 0;

function map(status: number, text: string, headers: Record<string, string> = {}) {
  return fedexErrorFromResponse(
    { status, text, headers: new Headers(headers) },
    { operation: 'createShipment', nowMs: at, random: noJitter },
  );
}

describe('error envelope', () => {
  it('parses FedEx envelopes and survives anything else', () => {
    assert.deepEqual(parseFedexErrorBody(envelope('ACCOUNT.NUMBER.MISMATCH', 'bad')), {
      transactionId: 'tx-1',
      customerTransactionId: undefined,
      errors: [{ code: 'ACCOUNT.NUMBER.MISMATCH', message: 'bad' }],
    });
    assert.deepEqual(parseFedexErrorBody('<html>502</html>'), { errors: [] });
    assert.deepEqual(parseFedexErrorBody(''), { errors: [] });
    assert.deepEqual(parseFedexErrorBody('{"errors":[{"message":3}, null]}').errors, [
      { code: 'UNKNOWN', message: '' },
    ]);
    assert.deepEqual(parseFedexErrorBody('{"error":"NOT.FOUND.ERROR","error_detail":"gone"}').errors, [
      { code: 'NOT.FOUND.ERROR', message: 'gone' },
    ]);
  });
});

describe('classification', () => {
  it('4xx is a non-retryable business error that keeps FedEx code and message', () => {
    const e = map(
      400,
      envelope('ACCOUNTNUMBER.REGISTRATION.REQUIRED', 'Please enter a valid 9-digit FedEx account number'),
    );
    assert.ok(e instanceof FedexBusinessError);
    assert.equal(e.type, 'FedexBusinessError');
    assert.equal(e.retryable, false);
    assert.equal(e.nonRetryable, true);
    assert.equal(e.code, 'ACCOUNTNUMBER.REGISTRATION.REQUIRED');
    assert.equal(e.transactionId, 'tx-1');
    assert.match(e.message, /9-digit FedEx account number/);
    assert.ok(map(404, envelope('NOT.FOUND.ERROR')) instanceof FedexBusinessError);
    assert.ok(map(422, envelope('INVALID.INPUT.EXCEPTION')) instanceof FedexBusinessError);
  });

  it('401 and 403 are auth errors', () => {
    for (const status of [401, 403]) {
      const e = map(status, envelope('NOT.AUTHORIZED.ERROR'));
      assert.ok(e instanceof FedexAuthError, String(status));
      assert.equal(e.nonRetryable, true);
    }
    assert.ok(map(400, envelope('LOGIN.REAUTHENTICATE.ERROR')) instanceof FedexAuthError);
  });

  it('5xx, 408 and bodies that are not FedEx JSON are retryable unavailability', () => {
    for (const [status, text] of [
      [500, envelope('INTERNAL.SERVER.ERROR')],
      [503, envelope('SYSTEM.UNAVAILABLE.EXCEPTION')],
      [502, '<html>Bad gateway</html>'],
      [408, ''],
    ] as const) {
      const e = map(status, text);
      assert.ok(e instanceof FedexUnavailableError, String(status));
      assert.equal(e.retryable, true);
      assert.equal(e.nonRetryable, false);
    }
  });

  it('has stable type names', () => {
    assert.deepEqual(FEDEX_ERROR_TYPES, {
      business: 'FedexBusinessError',
      auth: 'FedexAuthError',
      rateLimit: 'FedexRateLimitError',
      unavailable: 'FedexUnavailableError',
    });
  });

  it('masks registered secrets in error messages', () => {
    registerSecret('sEcReT-value-123');
    const e = map(400, envelope('BAD', 'client_secret sEcReT-value-123 is wrong'));
    assert.doesNotMatch(e.message, /sEcReT-value-123/);
  });
});

describe('429 waits', () => {
  it('waits a whole 10-second window for the per-project limit', () => {
    const e = map(
      429,
      JSON.stringify({
        errors: [{ code: 'X', message: 'We have received too many requests in a short duration.' }],
      }),
    );
    assert.ok(e instanceof FedexRateLimitError);
    assert.equal(e.scope, 'window');
    assert.equal(e.retryAfterMs, 10_000);
    assert.equal(e.retryable, true);
  });

  it('waits until 00:00 GMT for the daily quota', () => {
    const text = '429 – Too many requests – Daily transaction quota exceeded. Retry after 12:00AM GMT';
    const e = map(429, text) as FedexRateLimitError;
    assert.equal(e.scope, 'daily_quota');
    assert.equal(e.retryAfterMs, 8 * 3600 * 1000);
    assert.equal(msUntilMidnightGmt(Date.parse('2026-11-21T23:59:50Z')), 10_000);
    assert.equal(msUntilMidnightGmt(Date.parse('2026-12-31T23:00:00Z')), 3600_000);
    assert.equal(msUntilMidnightGmt(Date.parse('2026-11-22T00:00:00Z')), 86_400_000);
  });

  it('honours Retry-After when FedEx sends one, and adds jitter', () => {
    assert.equal((map(429, '', { 'retry-after': '3' }) as FedexRateLimitError).retryAfterMs, 3000);
    const { waitMs } = rateLimitWaitMs({ bodyText: '', nowMs: at }, () => 0.5);
    assert.equal(waitMs, 10_500);
  });
});

describe('backoff', () => {
  it('grows exponentially under a cap with full jitter', () => {
    const top = () => 0.999999;
    assert.equal(backoffMs(0, {}, top), 499);
    assert.equal(backoffMs(3, {}, top), 3999);
    assert.equal(backoffMs(20, { maxMs: 30_000 }, top), 29_999);
    assert.equal(
      backoffMs(5, {}, () => 0),
      0,
    );
  });
});

describe('lib/http helpers', () => {
  it('parses Retry-After as seconds or an HTTP date', () => {
    assert.equal(parseRetryAfter('120', at), 120_000);
    assert.equal(parseRetryAfter('1.5', at), 1500);
    assert.equal(parseRetryAfter('Sat, 21 Nov 2026 16:00:30 GMT', at), 30_000);
    assert.equal(parseRetryAfter('Sat, 21 Nov 2026 15:00:00 GMT', at), 0);
    assert.equal(parseRetryAfter('soon', at), undefined);
    assert.equal(parseRetryAfter(null, at), undefined);
  });

  it('keeps only safe headers, query-free paths and short masked excerpts', () => {
    const h = new Headers({
      'retry-after': '5',
      'set-cookie': 'a=b',
      authorization: 'Bearer x',
      'content-type': 'text/plain',
    });
    assert.deepEqual(safeHeaders(h), { 'content-type': 'text/plain', 'retry-after': '5' });
    assert.equal(pathOf('https://h/oauth/token?client_secret=s'), '/oauth/token');
    registerSecret('very-secret-token');
    assert.equal(bodyExcerpt('x very-secret-token y'), 'x [redacted] y');
    assert.equal(bodyExcerpt('a'.repeat(600)).length, 501);
  });
});

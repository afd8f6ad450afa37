import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { fedexEventKey, parseAivWebhook, verifyAivSignature } from '../../connectors/fedex/webhook';

const TOKEN = 'Aiv-Security-Token-0123456789abc';
const now = new Date('2026-11-21T18:00:00Z');
const sign = (body: string | Buffer, key = TOKEN) => createHmac('sha256', key).update(body).digest('base64');

function trackResult(trackingNumber: string, code: string, date: string) {
  return {
    trackingNumberInfo: { trackingNumber },
    latestStatusDetail: {
      code,
      derivedCode: code,
      description: `status ${code}`,
      scanLocation: { city: 'MEMPHIS', stateOrProvinceCode: 'TN', countryCode: 'US' },
    },
    scanEvents: [{ date, eventType: code, derivedStatusCode: code, eventDescription: `scan ${code}` }],
  };
}
function push(...results: Array<{ tn: string; code: string; date: string }>): string {
  return JSON.stringify({
    transactionId: 'b1c2',
    output: {
      completeTrackResults: results.map((r) => ({
        trackingNumber: r.tn,
        trackResults: [trackResult(r.tn, r.code, r.date)],
      })),
    },
  });
}

describe('verifyAivSignature', () => {
  const body = Buffer.from(push({ tn: '794600000001', code: 'PU', date: '2026-11-21T10:15:05-06:00' }));

  it('accepts Base64(HMAC-SHA256(security token, raw body))', () => {
    assert.equal(verifyAivSignature(body, sign(body), TOKEN), true);
  });

  it('refuses a missing, empty, malformed, truncated or wrongly keyed signature', () => {
    assert.equal(verifyAivSignature(body, undefined, TOKEN), false);
    assert.equal(verifyAivSignature(body, '', TOKEN), false);
    assert.equal(verifyAivSignature(body, 'not base64 !!', TOKEN), false);
    assert.equal(verifyAivSignature(body, sign(body).slice(0, 20), TOKEN), false);
    assert.equal(verifyAivSignature(body, sign(body, 'another-token'), TOKEN), false);
    // Hex of the right HMAC is not FedEx's encoding.
    assert.equal(
      verifyAivSignature(body, createHmac('sha256', TOKEN).update(body).digest('hex'), TOKEN),
      false,
    );
  });

  it('refuses a signature of another body (one byte changed)', () => {
    const tampered = Buffer.from(body);
    tampered[tampered.length - 3]! ^= 1;
    assert.equal(verifyAivSignature(tampered, sign(body), TOKEN), false);
  });

  it('refuses everything when no security token is configured', () => {
    assert.equal(verifyAivSignature(body, sign(body, ''), ''), false);
  });
});

describe('parseAivWebhook', () => {
  it('parses a push into normalised updates in UTC', () => {
    const parsed = parseAivWebhook(
      push({ tn: '794600000001', code: 'PU', date: '2026-11-21T10:15:05-06:00' }),
      { now },
    );
    assert.ok(parsed.ok);
    assert.deepEqual(parsed.updates, [
      {
        trackingNumber: '794600000001',
        status: 'picked_up',
        rawCode: 'PU',
        description: 'status PU',
        location: 'MEMPHIS, TN, US',
        eventTime: '2026-11-21T16:15:05.000Z',
      },
    ]);
    assert.equal(parsed.dedupKey, fedexEventKey(parsed.updates[0]!));
    assert.equal(parsed.eventType, 'PU');
  });

  it('orders updates by scan time and derives one key from the events, whatever their order', () => {
    const a = { tn: '794600000001', code: 'DL', date: '2026-11-22T09:00:00-06:00' };
    const b = { tn: '794600000002', code: 'IT', date: '2026-11-21T12:00:00-06:00' };
    const one = parseAivWebhook(push(a, b), { now });
    const two = parseAivWebhook(push(b, a), { now });
    assert.ok(one.ok && two.ok);
    assert.deepEqual(
      one.updates.map((u) => u.rawCode),
      ['IT', 'DL'],
    );
    assert.equal(one.dedupKey, two.dedupKey);
    assert.match(one.dedupKey, /^fedex:sha256:[0-9a-f]{64}$/);
  });

  it('keeps per-number errors apart from updates', () => {
    const body = JSON.parse(push({ tn: '794600000001', code: 'OD', date: '2026-11-21T10:15:05-06:00' }));
    body.output.completeTrackResults.push({
      trackingNumber: '000000000000',
      trackResults: [{ error: { code: 'TRACKING.TRACKINGNUMBER.NOTFOUND', message: 'not found' } }],
    });
    const parsed = parseAivWebhook(JSON.stringify(body), { now });
    assert.ok(parsed.ok);
    assert.equal(parsed.updates.length, 1);
    assert.deepEqual(parsed.errors, [
      { trackingNumber: '000000000000', code: 'TRACKING.TRACKINGNUMBER.NOTFOUND', message: 'not found' },
    ]);
  });

  const malformed: Array<[string, string]> = [
    ['empty body', ''],
    ['not JSON', '{"output": '],
    ['a JSON array', '[]'],
    ['a JSON string', '"hello"'],
    ['null', 'null'],
    ['no output', '{"transactionId":"x"}'],
    ['output is an array', '{"output":[]}'],
    ['no completeTrackResults', '{"output":{}}'],
    ['empty completeTrackResults', '{"output":{"completeTrackResults":[]}}'],
    ['a result that is not an object', '{"output":{"completeTrackResults":[42]}}'],
    [
      'trackResults not an array',
      '{"output":{"completeTrackResults":[{"trackingNumber":"1","trackResults":{}}]}}',
    ],
    [
      'trackResults with a non-object',
      '{"output":{"completeTrackResults":[{"trackingNumber":"1","trackResults":[null]}]}}',
    ],
    [
      'no status anywhere',
      '{"output":{"completeTrackResults":[{"trackingNumber":"1","trackResults":[{}]}]}}',
    ],
    [
      'a status code of the wrong type',
      '{"output":{"completeTrackResults":[{"trackingNumber":"1","trackResults":[{"latestStatusDetail":{"code":5}}]}]}}',
    ],
    [
      'a tracking number of the wrong type',
      '{"output":{"completeTrackResults":[{"trackingNumber":7,"trackResults":[{"trackingNumberInfo":{"trackingNumber":7},"latestStatusDetail":{"code":"PU"}}]}]}}',
    ],
  ];
  for (const [what, body] of malformed) {
    it(`refuses ${what} without throwing`, () => {
      const parsed = parseAivWebhook(Buffer.from(body), { now });
      assert.equal(parsed.ok, false, JSON.stringify(parsed));
      assert.ok(!parsed.ok && parsed.error.length > 0);
    });
  }

  it('refuses more than 100 results', () => {
    const many = Array.from({ length: 101 }, (_, i) => ({
      tn: `7946000${String(i).padStart(5, '0')}`,
      code: 'IT',
      date: '2026-11-21T10:15:05-06:00',
    }));
    const parsed = parseAivWebhook(push(...many), { now });
    assert.equal(parsed.ok, false);
  });
});

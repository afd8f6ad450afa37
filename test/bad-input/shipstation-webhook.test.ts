// The ShipStation part of the bad-input corpus for webhooks: the V1 URL-token check and body parser,
// and the V2 RSA-SHA256 verifier against a JWKS served over real HTTP by a scripted server that can
// also answer HTML, half a document, nothing at all or far too much. Every refusal must carry the
// status the receiver answers (4xx for the sender's fault, 503 only when our JWKS source is down),
// a reason that echoes nothing secret, and leave the verifier working once the JWKS is good again.

import assert from 'node:assert/strict';
import { generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import {
  checkWebhookToken,
  parseV1Webhook,
  ShipStationV2WebhookVerifier,
  V2_KEY_ID_HEADER,
  V2_SIGNATURE_HEADER,
  V2_TIMESTAMP_HEADER,
  type V2VerifyResult,
} from '../../connectors/shipstation/webhook';
import {
  GIGANTIC_BYTES,
  jsonReply,
  V1_BODY_CASES,
  V1_TOKEN,
  V1_TOKEN_CASES,
  V2_CASES,
  type JwksAnswer,
  type V2Tamper,
} from './corpus';
import { startScriptedHttp, type Reply, type ScriptedHttp } from './scripted-http';

describe('bad input: ShipStation V1 webhook token and body', () => {
  for (const c of V1_TOKEN_CASES) {
    it(`token: ${c.name} -> ${c.accepted ? 'accepted' : 'refused'}`, () => {
      assert.equal(checkWebhookToken(c.given, V1_TOKEN), c.accepted);
    });
  }
  for (const c of V1_BODY_CASES) {
    it(`body: ${c.name} -> refused`, () => {
      const r = parseV1Webhook(Buffer.from(c.body));
      assert.equal(r.ok, false);
      if (!r.ok) {
        assert.match(r.error, c.error);
        assert.ok(r.error.length < 200, 'the reason is short and does not echo the body');
      }
    });
  }
});

describe('bad input: ShipStation V2 webhook signatures and JWKS answers', () => {
  const pair = (kid: string) => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    return {
      kid,
      privateKey,
      jwk: { ...publicKey.export({ format: 'jwk' }), kid, use: 'sig', alg: 'RS256' },
    };
  };
  const first = pair('key-1');
  const stranger = pair('key-1'); // the right kid, a key that is not in the JWKS
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' });

  let jwks: ScriptedHttp;
  let clock = Date.parse('2026-11-21T18:00:00Z');
  const fetches = () => jwks.requests.filter((r) => r.path === '/jwks').length;
  const body = JSON.stringify({
    resource_url: 'https://api.shipstation.com/v2/labels/se-1/track',
    resource_type: 'TRACK_EVENT_V2',
    data: { tracking_number: '1Z999AA10123456784', status_code: 'IT' },
  });

  const answers: Record<JwksAnswer, Reply> = {
    good: jsonReply({ keys: [first.jwk] }),
    'html-200': {
      kind: 'raw',
      status: 200,
      headers: { 'content-type': 'text/html' },
      body: '<html>JWKS</html>',
    },
    'html-502': { kind: 'raw', status: 502, headers: { 'content-type': 'text/html' }, body: '<h1>502</h1>' },
    'no-keys': jsonReply({ issuer: 'shipengine' }),
    'empty-keys': jsonReply({ keys: [] }),
    'keys-not-list': jsonReply({ keys: first.jwk }),
    'ec-key': jsonReply({ keys: [{ ...ec, kid: 'key-1' }] }),
    'broken-modulus': jsonReply({ keys: [{ ...first.jwk, n: 'AAAA' }] }),
    truncated: {
      kind: 'raw',
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ keys: [first.jwk] }).slice(0, 60),
    },
    hang: { kind: 'hang' },
    gigantic: { kind: 'flood', status: 200, contentType: 'application/json', bytes: GIGANTIC_BYTES },
  };

  before(async () => {
    jwks = await startScriptedHttp(() => answers.good);
  });
  after(() => jwks.stop());

  let logged = '';
  const log = pino(
    { level: 'warn' },
    new Writable({
      write(chunk, _enc, done) {
        logged += String(chunk);
        done();
      },
    }),
  );
  const verifier = () =>
    new ShipStationV2WebhookVerifier({ jwksUrl: `${jwks.url}/jwks`, now: () => clock, timeoutMs: 800, log });

  function signed(key: { kid: string; privateKey: KeyObject }, raw: string, timestamp: string) {
    return {
      [V2_KEY_ID_HEADER]: key.kid,
      [V2_SIGNATURE_HEADER]: sign('sha256', Buffer.from(`${timestamp}.${raw}`), key.privateKey).toString(
        'base64',
      ),
      [V2_TIMESTAMP_HEADER]: timestamp,
    };
  }

  /** Headers and body for a case: a correctly signed push, then changed the way the case says. */
  function tampered(t: V2Tamper): { headers: Record<string, string>; raw: string } {
    const ts = new Date(clock).toISOString();
    const good = signed(first, body, ts);
    const drop = (name: string) => {
      const h: Record<string, string> = { ...good };
      delete h[name];
      return h;
    };
    const at = (offsetMs: number) => {
      const other = new Date(clock + offsetMs).toISOString();
      return signed(first, body, other);
    };
    switch (t) {
      case 'none':
        return { headers: good, raw: body };
      case 'no-key-id':
        return { headers: drop(V2_KEY_ID_HEADER), raw: body };
      case 'no-signature':
        return { headers: drop(V2_SIGNATURE_HEADER), raw: body };
      case 'no-timestamp':
        return { headers: drop(V2_TIMESTAMP_HEADER), raw: body };
      case 'blank-signature':
        return { headers: { ...good, [V2_SIGNATURE_HEADER]: '   ' }, raw: body };
      case 'unknown-kid':
        return { headers: { ...good, [V2_KEY_ID_HEADER]: 'key-9' }, raw: body };
      case 'forged-key':
        return { headers: signed(stranger, body, ts), raw: body };
      case 'other-body':
        return { headers: good, raw: body.replace('"IT"', '"DE"') };
      case 'other-timestamp':
        return {
          headers: { ...good, [V2_TIMESTAMP_HEADER]: new Date(clock + 1000).toISOString() },
          raw: body,
        };
      case 'expired':
        return { headers: at(-10 * 60_000), raw: body };
      case 'future':
        return { headers: at(10 * 60_000), raw: body };
      case 'timestamp-garbage':
        return { headers: { ...good, [V2_TIMESTAMP_HEADER]: 'yesterday at noon' }, raw: body };
      case 'signature-junk':
        return { headers: { ...good, [V2_SIGNATURE_HEADER]: 'not base64 !!' }, raw: body };
      case 'signature-truncated':
        return {
          headers: { ...good, [V2_SIGNATURE_HEADER]: good[V2_SIGNATURE_HEADER]!.slice(0, 40) },
          raw: body,
        };
    }
  }

  const statusOf = (r: V2VerifyResult) => (r.ok ? 200 : r.status);

  for (const c of V2_CASES) {
    it(`${c.name} -> ${c.status}`, async () => {
      jwks.script = () => answers[c.jwks];
      jwks.requests.length = 0;
      logged = '';
      const v = verifier();
      const { headers, raw } = tampered(c.tamper);
      const r = await v.verify(headers, Buffer.from(raw));
      if (c.jwks === 'hang') {
        // Answered although the JWKS host never answers: the fetch's timeout ended the wait.
        assert.equal(fetches(), 1, 'the JWKS was asked');
        assert.match(logged, /JWKS fetch failed/);
        assert.match(logged, /due to timeout/, 'the fetch ended at its timeout');
      }
      assert.equal(statusOf(r), c.status, JSON.stringify(r));
      if (!r.ok) {
        assert.match(r.reason, c.reason ?? /./);
        assert.ok(
          !r.reason.includes(headers[V2_SIGNATURE_HEADER] ?? '\u0000'),
          'the reason does not echo the signature',
        );
      }
      if (c.logs) assert.match(logged, c.logs);
      assert.ok(fetches() <= 1, 'one verification fetches the JWKS at most once');

      // The same verifier works again once the JWKS answers well (after the refetch interval), also
      // when it cached a wrong key under the right kid: the signature that key fails makes it look
      // at the JWKS again.
      jwks.script = () => answers.good;
      clock += 61_000;
      try {
        const good = tampered('none');
        assert.deepEqual(await v.verify(good.headers, good.raw), { ok: true, keyId: 'key-1' });
      } finally {
        clock -= 61_000;
      }
    });
  }

  it('a flood of forged key ids fetches the JWKS at most once a minute', async () => {
    jwks.script = () => answers.good;
    jwks.requests.length = 0;
    const v = verifier();
    const results = await Promise.all(
      Array.from({ length: 50 }, () => {
        const { headers, raw } = tampered('none');
        return v.verify({ ...headers, [V2_KEY_ID_HEADER]: randomUUID() }, raw);
      }),
    );
    assert.ok(results.every((r) => !r.ok && r.status === 401));
    assert.equal(fetches(), 1);
  });

  it('a flood of signatures forged under the right kid fetches the JWKS at most once a minute', async () => {
    jwks.script = () => answers.good;
    jwks.requests.length = 0;
    const v = verifier();
    const good = tampered('none');
    assert.equal((await v.verify(good.headers, good.raw)).ok, true);
    clock += 61_000;
    try {
      const results = await Promise.all(
        Array.from({ length: 50 }, () => {
          const { headers, raw } = tampered('forged-key');
          return v.verify(headers, raw);
        }),
      );
      assert.ok(results.every((r) => !r.ok && r.status === 401));
      assert.equal(fetches(), 2, 'one fetch for the first push, one for the whole flood');
    } finally {
      clock -= 61_000;
    }
  });
});

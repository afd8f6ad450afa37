import assert from 'node:assert/strict';
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { Writable } from 'node:stream';
import { after, before, beforeEach, describe, it } from 'node:test';
import pino from 'pino';
import {
  checkWebhookToken,
  DEFAULT_MAX_JWKS_BYTES,
  parseV1Webhook,
  parseV2Timestamp,
  parseV2Webhook,
  ShipStationV2WebhookVerifier,
  V2_KEY_ID_HEADER,
  V2_SIGNATURE_HEADER,
  V2_TIMESTAMP_HEADER,
} from '../../connectors/shipstation/webhook';
import { json, startScriptedShipStation, type ScriptedShipStation } from './shipstation-server';

describe('ShipStation V1 webhook bodies', () => {
  it('accepts {resource_url, resource_type} and gives a stable dedup key', () => {
    const body = JSON.stringify({
      resource_url: 'https://ssapi.shipstation.com/shipments?batchId=144015674&includeShipmentItems=False',
      resource_type: 'SHIP_NOTIFY',
    });
    const a = parseV1Webhook(Buffer.from(body));
    assert.ok(a.ok);
    assert.equal(a.resourceType, 'SHIP_NOTIFY');
    assert.equal(
      a.resourceUrl,
      'https://ssapi.shipstation.com/shipments?batchId=144015674&includeShipmentItems=False',
    );
    const again = parseV1Webhook(body);
    assert.ok(again.ok);
    assert.equal(again.dedupKey, a.dedupKey, 'a redelivery has the same key');
    const other = parseV1Webhook(
      JSON.stringify({
        resource_url: 'https://ssapi.shipstation.com/shipments?batchId=2',
        resource_type: 'SHIP_NOTIFY',
      }),
    );
    assert.ok(other.ok);
    assert.notEqual(other.dedupKey, a.dedupKey);
  });

  it('refuses malformed bodies with a reason', () => {
    const cases: Array<[string, RegExp]> = [
      ['', /not JSON/],
      ['{', /not JSON/],
      ['[]', /JSON object/],
      ['null', /JSON object/],
      ['{"resource_type":"SHIP_NOTIFY"}', /resource_url/],
      ['{"resource_url":42,"resource_type":"SHIP_NOTIFY"}', /resource_url/],
      ['{"resource_url":"/shipments?batchId=1","resource_type":"SHIP_NOTIFY"}', /absolute/],
      ['{"resource_url":"ftp://ssapi.shipstation.com/x","resource_type":"SHIP_NOTIFY"}', /http/],
      [
        JSON.stringify({
          resource_url: `https://ssapi.shipstation.com/${'a'.repeat(3000)}`,
          resource_type: 'SHIP_NOTIFY',
        }),
        /longer/,
      ],
      ['{"resource_url":"https://ssapi.shipstation.com/shipments"}', /resource_type/],
      [
        '{"resource_url":"https://ssapi.shipstation.com/shipments","resource_type":"ship_notify"}',
        /resource_type/,
      ],
      [
        '{"resource_url":"https://ssapi.shipstation.com/shipments","resource_type":"DROP_TABLES"}',
        /resource_type/,
      ],
    ];
    for (const [body, reason] of cases) {
      const r = parseV1Webhook(body);
      assert.equal(r.ok, false, body.slice(0, 60));
      if (!r.ok) assert.match(r.error, reason, body.slice(0, 60));
    }
  });

  it('checks the URL token in constant time and refuses empty tokens', () => {
    assert.equal(checkWebhookToken('s3cr3t-token', 's3cr3t-token'), true);
    assert.equal(checkWebhookToken('s3cr3t-tokem', 's3cr3t-token'), false);
    assert.equal(checkWebhookToken('s3cr3t', 's3cr3t-token'), false, 'a prefix is not enough');
    assert.equal(checkWebhookToken('', 's3cr3t-token'), false);
    assert.equal(checkWebhookToken(undefined, 's3cr3t-token'), false);
    assert.equal(checkWebhookToken('anything', ''), false, 'an unconfigured secret never matches');
  });
});

describe('ShipStation V2 webhook signatures', () => {
  const pair = (kid: string) => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    return {
      kid,
      privateKey,
      jwk: { ...publicKey.export({ format: 'jwk' }), kid, use: 'sig', alg: 'RS256' },
    };
  };
  const first = pair('key-1');
  const second = pair('key-2');
  const stranger = pair('key-1'); // same kid, key not in the JWKS
  const rotated = pair('key-1'); // new key material ShipStation later publishes under the same kid

  let jwks: ScriptedShipStation;
  let published: Array<Record<string, unknown>> = [];
  let padding: Record<string, string> = {};
  let jwksStatus = 200;
  let clock = Date.parse('2026-11-20T10:00:00Z');
  const fetches = () => jwks.requests.filter((r) => r.path === '/jwks').length;

  before(async () => {
    jwks = await startScriptedShipStation([
      ['GET', /^\/jwks$/, () => json({ keys: published, ...padding }, jwksStatus)],
    ]);
  });
  after(() => jwks.stop());
  beforeEach(() => {
    jwks.requests.length = 0;
    published = [first.jwk];
    padding = {};
    jwksStatus = 200;
    clock = Date.parse('2026-11-20T10:00:00Z');
  });

  const verifier = () => new ShipStationV2WebhookVerifier({ jwksUrl: `${jwks.url}/jwks`, now: () => clock });
  const body = JSON.stringify({
    resource_url: 'https://api.shipstation.com/v2/labels/se-1/track',
    resource_type: 'TRACK_EVENT_V2',
    data: { tracking_number: '1Z999', status_code: 'DE' },
  });
  function signed(key: { kid: string; privateKey: KeyObject }, raw: string, timestamp: string) {
    const signature = sign('sha256', Buffer.from(`${timestamp}.${raw}`), key.privateKey).toString('base64');
    return {
      [V2_KEY_ID_HEADER]: key.kid,
      [V2_SIGNATURE_HEADER]: signature,
      [V2_TIMESTAMP_HEADER]: timestamp,
    };
  }
  const nowIso = () => new Date(clock).toISOString();

  it('accepts a body signed over "<timestamp>.<raw body>" with the JWKS key, and caches the keys', async () => {
    const v = verifier();
    assert.deepEqual(await v.verify(signed(first, body, nowIso()), Buffer.from(body)), {
      ok: true,
      keyId: 'key-1',
    });
    assert.deepEqual(await v.verify(signed(first, body, String(clock / 1000)), body), {
      ok: true,
      keyId: 'key-1',
    });
    assert.equal(fetches(), 1, 'the JWKS is fetched once and cached');
    const parsed = parseV2Webhook(body);
    assert.ok(parsed.ok);
    assert.equal(parsed.resourceType, 'TRACK_EVENT_V2');
  });

  it('takes a Headers object too (header names are case-insensitive)', async () => {
    const h = new Headers(signed(first, body, nowIso()));
    assert.equal((await verifier().verify(h, body)).ok, true);
    const upper = Object.fromEntries(
      Object.entries(signed(first, body, nowIso())).map(([k, val]) => [k.toUpperCase(), val]),
    );
    assert.equal((await verifier().verify(upper, body)).ok, true);
  });

  it('refuses a changed body, a forged signature, another key under a known kid, and a signature without the timestamp', async () => {
    const v = verifier();
    const ts = nowIso();
    const headers = signed(first, body, ts);
    assert.deepEqual(await v.verify(headers, body.replace('1Z999', '1Z000')), {
      ok: false,
      status: 401,
      reason: 'signature does not match',
    });
    assert.equal((await v.verify(signed(stranger, body, ts), body)).ok, false);
    const bodyOnly = sign('sha256', Buffer.from(body), first.privateKey).toString('base64');
    assert.equal((await v.verify({ ...headers, [V2_SIGNATURE_HEADER]: bodyOnly }, body)).ok, false);
    const later = new Date(clock + 1000).toISOString();
    assert.equal(
      (await v.verify({ ...headers, [V2_TIMESTAMP_HEADER]: later }, body)).ok,
      false,
      'the timestamp is signed',
    );
    assert.equal((await v.verify({ ...headers, [V2_SIGNATURE_HEADER]: 'not base64 !' }, body)).ok, false);
  });

  it('answers 404 when a signature header is missing', async () => {
    const full = signed(first, body, nowIso());
    for (const name of [V2_KEY_ID_HEADER, V2_SIGNATURE_HEADER, V2_TIMESTAMP_HEADER]) {
      const h: Record<string, string> = { ...full };
      delete h[name];
      const r = await verifier().verify(h, body);
      assert.equal(r.ok ? 0 : r.status, 404, name);
    }
  });

  it('accepts timestamps up to 5 minutes off either way and refuses beyond', async () => {
    const v = verifier();
    for (const offset of [-4.9 * 60_000, 4.9 * 60_000]) {
      const ts = new Date(clock + offset).toISOString();
      assert.equal((await v.verify(signed(first, body, ts), body)).ok, true, `${offset}`);
    }
    for (const offset of [-5.1 * 60_000, 5.1 * 60_000]) {
      const ts = new Date(clock + offset).toISOString();
      const r = await v.verify(signed(first, body, ts), body);
      assert.deepEqual(r, { ok: false, status: 400, reason: 'timestamp outside the accepted window' });
    }
    const r = await v.verify(signed(first, body, 'yesterday'), body);
    assert.equal(r.ok ? 0 : r.status, 400);
    assert.equal(parseV2Timestamp('1763632800'), 1763632800000);
    assert.equal(parseV2Timestamp('2026-11-20T10:00:00Z'), Date.parse('2026-11-20T10:00:00Z'));
    assert.equal(parseV2Timestamp('12'), undefined);
  });

  it('refetches on an unknown key id (rotation), but at most once per minute', async () => {
    const v = verifier();
    assert.equal((await v.verify(signed(first, body, nowIso()), body)).ok, true);
    assert.equal(fetches(), 1);
    // ShipStation rotates to key-2; a burst of messages under it (or forged kids) costs one fetch.
    published = [first.jwk, second.jwk];
    clock += 61_000;
    const results = await Promise.all([1, 2, 3].map(() => v.verify(signed(second, body, nowIso()), body)));
    assert.ok(results.every((r) => r.ok));
    assert.equal(fetches(), 2, 'concurrent unknown kids share one fetch');
    const forged = { ...signed(first, body, nowIso()), [V2_KEY_ID_HEADER]: 'kid-nobody-has' };
    for (let i = 0; i < 5; i++)
      assert.deepEqual(await v.verify(forged, body), { ok: false, status: 401, reason: 'unknown key id' });
    assert.equal(fetches(), 2, 'no refetch within the minute');
    clock += 60_000;
    await v.verify(forged, body);
    assert.equal(fetches(), 3, 'a minute later it may look again');
  });

  it('accepts new key material under a cached key id after one refetch', async () => {
    const v = verifier();
    assert.equal((await v.verify(signed(first, body, nowIso()), body)).ok, true);
    assert.equal(fetches(), 1);
    // ShipStation replaces the key under the same kid: the cached key no longer verifies its posts.
    published = [rotated.jwk];
    clock += 61_000;
    const results = await Promise.all([1, 2, 3].map(() => v.verify(signed(rotated, body, nowIso()), body)));
    assert.deepEqual(
      results,
      [1, 2, 3].map(() => ({ ok: true, keyId: 'key-1' })),
    );
    assert.equal(fetches(), 2, 'a burst under the new key costs one refetch');
    assert.equal((await v.verify(signed(rotated, body, nowIso()), body)).ok, true);
    assert.equal(fetches(), 2, 'the new key is cached');
    assert.deepEqual(await v.verify(signed(first, body, nowIso()), body), {
      ok: false,
      status: 401,
      reason: 'signature does not match',
    });
    assert.equal(fetches(), 2, 'the retired key fails without another fetch within the minute');
  });

  it('forged signatures under a known key id refetch the JWKS at most once per minute', async () => {
    const v = verifier();
    assert.equal((await v.verify(signed(first, body, nowIso()), body)).ok, true);
    const forged = () => signed(stranger, body, nowIso());
    const refused = { ok: false, status: 401, reason: 'signature does not match' };
    for (let i = 0; i < 5; i++) assert.deepEqual(await v.verify(forged(), body), refused);
    assert.equal(fetches(), 1, 'no refetch within a minute of the first fetch');

    clock += 61_000;
    const burst = await Promise.all(Array.from({ length: 20 }, () => v.verify(forged(), body)));
    assert.ok(burst.every((r) => !r.ok && r.status === 401));
    for (let i = 0; i < 5; i++) assert.deepEqual(await v.verify(forged(), body), refused);
    assert.equal(fetches(), 2, 'a flood of forged signatures costs one fetch per minute');
    clock += 30_000;
    assert.deepEqual(await v.verify(forged(), body), refused);
    assert.equal(fetches(), 2);
    clock += 31_000;
    assert.deepEqual(await v.verify(forged(), body), refused);
    assert.equal(fetches(), 3, 'a minute after the last fetch it may look again');
    assert.equal((await v.verify(signed(first, body, nowIso()), body)).ok, true, 'the real key still works');
    assert.equal(fetches(), 3);
  });

  it('answers 503, not 401, while a refetch of the JWKS fails: a replaced key cannot be told from a forgery', async () => {
    const v = verifier();
    assert.equal((await v.verify(signed(first, body, nowIso()), body)).ok, true);
    const unreadable = { ok: false, status: 503, reason: 'the JWKS could not be read' };
    // ShipStation replaces key-1 and adds key-2, but the JWKS host fails when we look.
    published = [rotated.jwk, second.jwk];
    jwksStatus = 500;
    clock += 61_000;
    assert.deepEqual(await v.verify(signed(rotated, body, nowIso()), body), unreadable, 'replaced key');
    assert.deepEqual(await v.verify(signed(second, body, nowIso()), body), unreadable, 'new key id');
    assert.equal(fetches(), 2, 'one failed refetch, none more within the minute');
    // The JWKS is back: a minute later the same posts verify, and a forgery is refused for good.
    jwksStatus = 200;
    clock += 61_000;
    assert.deepEqual(await v.verify(signed(rotated, body, nowIso()), body), { ok: true, keyId: 'key-1' });
    assert.deepEqual(await v.verify(signed(second, body, nowIso()), body), { ok: true, keyId: 'key-2' });
    assert.deepEqual(await v.verify(signed(stranger, body, nowIso()), body), {
      ok: false,
      status: 401,
      reason: 'signature does not match',
    });
  });

  it('fails the JWKS fetch on an answer over the size cap (503), and reads one under it', async () => {
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
    const capped = (maxJwksBytes?: number) =>
      new ShipStationV2WebhookVerifier({ jwksUrl: `${jwks.url}/jwks`, now: () => clock, log, maxJwksBytes });
    const unreadable = { ok: false, status: 503, reason: 'the JWKS could not be read' };

    padding = { padding: 'x'.repeat(5_000) };
    const v = capped(4_096);
    assert.deepEqual(await v.verify(signed(first, body, nowIso()), body), unreadable);
    assert.match(logged, /JWKS answer larger than 4096 bytes/);

    logged = '';
    padding = { padding: 'x'.repeat(DEFAULT_MAX_JWKS_BYTES) };
    assert.deepEqual(await capped().verify(signed(first, body, nowIso()), body), unreadable);
    assert.match(logged, /JWKS answer larger than 1048576 bytes/, 'the default cap is 1 MiB');

    // Under the cap it reads as usual, and the capped verifier recovers once the JWKS is small again.
    padding = { padding: 'x'.repeat(1_000) };
    assert.equal((await capped(4_096).verify(signed(first, body, nowIso()), body)).ok, true);
    clock += 61_000;
    assert.equal((await v.verify(signed(first, body, nowIso()), body)).ok, true);
  });

  it('answers 503 when the JWKS cannot be read, and recovers later', async () => {
    jwksStatus = 500;
    const v = verifier();
    const r = await v.verify(signed(first, body, nowIso()), body);
    assert.deepEqual(r, { ok: false, status: 503, reason: 'the JWKS could not be read' });
    jwksStatus = 200;
    clock += 61_000;
    assert.equal((await v.verify(signed(first, body, nowIso()), body)).ok, true);
  });

  it('parses V2 bodies and refuses malformed ones', () => {
    for (const bad of [
      '',
      '[]',
      '{"resource_type":"X"}',
      '{"resource_url":"https://x","resource_type":"lower"}',
      '{"resource_url":"https://x","resource_type":"X","data":[]}',
    ]) {
      assert.equal(parseV2Webhook(bad).ok, false, bad);
    }
  });
});

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { defaultPayloadConverter } from '@temporalio/common';
import { codecRoutes } from '../../clients/http/codec-routes';
import { startHttpServer, type RunningHttpServer } from '../../clients/http/server';
import { createLogger } from '../../lib/logger';
import { Registry } from '../../lib/metrics';
import { deriveCodecKey, EncryptionCodec, ENCODING } from '../../lib/temporal/codec';

const address = {
  name: 'Ada Lovelace',
  lines: ['12 Analytical Way'],
  city: 'London',
  postalCode: 'SW1A 1AA',
};

describe('EncryptionCodec', () => {
  const keyA = deriveCodecKey('key-a', randomBytes(32));
  const keyB = deriveCodecKey('key-b', randomBytes(32));

  it('round-trips payloads and hides their content', async () => {
    const codec = new EncryptionCodec(keyA);
    const payload = defaultPayloadConverter.toPayload(address);
    const [encoded] = await codec.encode([payload]);
    assert.equal(Buffer.from(encoded!.metadata!.encoding!).toString(), ENCODING);
    assert.ok(
      !Buffer.from(encoded!.data!).toString('latin1').includes('Lovelace'),
      'ciphertext does not contain the name',
    );
    const [decoded] = await codec.decode([encoded!]);
    assert.deepEqual(defaultPayloadConverter.fromPayload(decoded!), address);
  });

  it('derives a codec key different from the master key', () => {
    const master = randomBytes(32);
    assert.notDeepEqual(deriveCodecKey('k', master).key, master);
  });

  it('rejects tampered ciphertext', async () => {
    const codec = new EncryptionCodec(keyA);
    const [encoded] = await codec.encode([defaultPayloadConverter.toPayload(address)]);
    const data = Buffer.from(encoded!.data!);
    data[20] = data[20]! ^ 0xff;
    await assert.rejects(codec.decode([{ ...encoded!, data }]));
  });

  it('decodes history written with a previous key after rotation, and names an unknown key', async () => {
    const [old] = await new EncryptionCodec(keyA).encode([defaultPayloadConverter.toPayload(address)]);
    const rotated = new EncryptionCodec(keyB, [keyA]);
    assert.deepEqual(defaultPayloadConverter.fromPayload((await rotated.decode([old!]))[0]!), address);
    await assert.rejects(new EncryptionCodec(keyB).decode([old!]), /unknown key id "key-a"/);
  });

  it('passes through payloads it did not encrypt', async () => {
    const plain = defaultPayloadConverter.toPayload('hello');
    assert.deepEqual(await new EncryptionCodec(keyA).decode([plain]), [plain]);
  });
});

describe('codec endpoint', () => {
  let server: RunningHttpServer;
  const codec = new EncryptionCodec(deriveCodecKey('key-a', randomBytes(32)));
  const origin = 'http://127.0.0.1:8233';

  before(async () => {
    server = await startHttpServer({
      host: '127.0.0.1',
      port: 0,
      log: createLogger({ level: 'silent' }),
      metrics: new Registry(),
      health: [],
      routes: codecRoutes({ codec, allowedOrigins: [origin], token: 'operator-token-123' }),
    });
  });
  after(() => server.close());

  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer operator-token-123', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  it('decodes what encode produced, in the remote codec JSON shape', async () => {
    const payload = defaultPayloadConverter.toPayload(address);
    const json = {
      payloads: [
        {
          metadata: Object.fromEntries(
            Object.entries(payload.metadata!).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
          ),
          data: Buffer.from(payload.data!).toString('base64'),
        },
      ],
    };
    const enc = await post('/codec/encode', json, { origin });
    assert.equal(enc.status, 200);
    assert.equal(enc.headers.get('access-control-allow-origin'), origin);
    const encoded = (await enc.json()) as typeof json;
    assert.notEqual(encoded.payloads[0]!.data, json.payloads[0]!.data);
    const dec = await post('/codec/decode', encoded);
    assert.equal(dec.status, 200);
    assert.deepEqual(await dec.json(), json);
  });

  const b64 = (text: string) => Buffer.from(text).toString('base64');
  const ok = async (path: string, body: unknown) => {
    const res = await post(path, body);
    assert.equal(res.status, 200, `${JSON.stringify(body)}: ${res.status}`);
    return (await res.json()) as { payloads: Array<{ metadata?: Record<string, string>; data?: string }> };
  };

  it('accepts no payloads in every form the protobuf JSON mapping allows ({} is what the CLI sends)', async () => {
    for (const path of ['/codec/encode', '/codec/decode']) {
      for (const body of [{}, { payloads: [] }, { payloads: null }]) {
        assert.deepEqual(await ok(path, body), { payloads: [] }, `${path} ${JSON.stringify(body)}`);
      }
    }
  });

  it('accepts a payload without metadata, without data, or without both, and round-trips it', async () => {
    const cases = [
      { name: 'metadata absent', payload: { data: b64('"hello"') } },
      { name: 'metadata null', payload: { metadata: null, data: b64('"hello"') } },
      { name: 'data absent', payload: { metadata: { encoding: b64('binary/null') } } },
      { name: 'data null', payload: { metadata: { encoding: b64('binary/null') }, data: null } },
      { name: 'data empty', payload: { metadata: { encoding: b64('json/plain') }, data: '' } },
      { name: 'both absent', payload: {} },
    ];
    for (const { name, payload } of cases) {
      const encoded = await ok('/codec/encode', { payloads: [payload] });
      assert.equal(encoded.payloads.length, 1, name);
      assert.equal(encoded.payloads[0]!.metadata!.encoding, b64(ENCODING), `${name}: encrypted`);
      const [decoded] = (await ok('/codec/decode', encoded)).payloads;
      // Absent, null and "" are the same empty value in the mapping.
      assert.deepEqual(decoded!.metadata ?? {}, payload.metadata ?? {}, `${name}: metadata`);
      assert.equal(decoded!.data ?? '', payload.data ?? '', `${name}: data`);
    }
  });

  it('reads base64 in both alphabets, with or without padding', async () => {
    // Not encrypted, so decode passes it through and answers in standard padded base64.
    for (const data of ['+/8=', '+/8', '-_8=', '-_8']) {
      const { payloads } = await ok('/codec/decode', { payloads: [{ data }] });
      assert.equal(payloads[0]!.data, '+/8=', data);
    }
  });

  it('refuses malformed bodies with 400 and a one-line message that says where', async () => {
    const cases: Array<[unknown, RegExp]> = [
      ['{not json', /^body is not JSON$/],
      ['null', /^body must be a JSON object \{"payloads": \[\.\.\.\]\}$/],
      [[], /^body must be a JSON object/],
      [{ payloads: 'x' }, /^payloads: must be a list of payloads$/],
      [{ payloads: {} }, /^payloads: must be a list of payloads$/],
      [{ payloads: [null] }, /^payloads\[0\]: must be a payload object/],
      [{ payloads: ['YQ=='] }, /^payloads\[0\]: must be a payload object/],
      [{ payloads: [{ data: 42 }] }, /^payloads\[0\]\.data: must be base64 text$/],
      [{ payloads: [{ data: 'not base64!' }] }, /^payloads\[0\]\.data: must be base64 text$/],
      [{ payloads: [{ data: 'YQ=' }] }, /^payloads\[0\]\.data: must be base64 text$/],
      [{ payloads: [{ metadata: 'x' }] }, /^payloads\[0\]\.metadata: must be an object of base64 texts$/],
      [{ payloads: [{ metadata: [] }] }, /^payloads\[0\]\.metadata: must be an object/],
      [
        { payloads: [{ metadata: { encoding: 1 } }] },
        /^payloads\[0\]\.metadata\.encoding: must be base64 text$/,
      ],
      [
        { payloads: [{ metadata: { 'a\nb': null } }] },
        /^payloads\[0\]\.metadata\["a\\nb"\]: must be base64 text$/,
      ],
      [{ payloads: [], extra: 1 }, /^Unrecognized key: "extra"$/],
      [{ payloads: [{ dat: 'YQ==' }] }, /^payloads\[0\]: Unrecognized key: "dat"$/],
    ];
    for (const [body, message] of cases) {
      for (const path of ['/codec/encode', '/codec/decode']) {
        const res = await post(path, body);
        const label = `${path} ${typeof body === 'string' ? body : JSON.stringify(body)}`;
        assert.equal(res.status, 400, label);
        const { error } = (await res.json()) as { error: string };
        assert.match(error, message, label);
        assert.doesNotMatch(error, /[\r\n]/, `${label}: one line`);
      }
    }
  });

  it('answers a payload it cannot decrypt with 400 and one line', async () => {
    const res = await post('/codec/decode', {
      payloads: [
        { metadata: { encoding: b64(ENCODING), 'encryption-key-id': b64('key-a') }, data: b64('short') },
      ],
    });
    assert.equal(res.status, 400);
    assert.deepEqual(await res.json(), { error: 'cannot decode: encrypted payload is truncated' });
  });

  it('refuses a wrong token, a foreign origin and malformed bodies', async () => {
    assert.equal(
      (await post('/codec/decode', { payloads: [] }, { authorization: 'Bearer nope' })).status,
      401,
    );
    assert.equal(
      (await post('/codec/decode', { payloads: [] }, { origin: 'https://evil.example' })).status,
      403,
    );
    assert.equal((await post('/codec/decode', '{not json')).status, 400);
    assert.equal((await post('/codec/decode', { payloads: 'x' })).status, 400);
    assert.equal((await post('/codec/decode', { payloads: [{ data: 42 }] })).status, 400);
  });
});

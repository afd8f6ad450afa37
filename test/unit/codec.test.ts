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

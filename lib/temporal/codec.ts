import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

/**
 * Encrypts every workflow payload (inputs, results, signals, activity arguments) with AES-256-GCM
 * before it reaches the Temporal server, so addresses and other personal data are not readable in
 * history. The Web UI shows them through the codec endpoint (`/codec/decode`), which holds the key.
 *
 * The codec key is derived from the master key with HKDF, so it is never the same key that
 * encrypts credentials. Each payload names the id of the key that encrypted it, so keys can rotate.
 */

export const ENCODING = 'binary/encrypted';
const ENCODING_BYTES = Buffer.from(ENCODING);
const KEY_ID_FIELD = 'encryption-key-id';

export interface CodecKey {
  id: string;
  key: Buffer;
}

/** Derive the payload-codec key from a 32-byte master key. */
export function deriveCodecKey(masterKeyId: string, masterKey: Buffer): CodecKey {
  const key = Buffer.from(
    hkdfSync('sha256', masterKey, Buffer.alloc(0), 'ml-connector payload codec v1', 32),
  );
  return { id: masterKeyId, key };
}

export class EncryptionCodec implements PayloadCodec {
  private readonly byId: Map<string, Buffer>;

  /** `current` encrypts; `previous` keys only decrypt (history written before a rotation). */
  constructor(
    private readonly current: CodecKey,
    previous: CodecKey[] = [],
  ) {
    this.byId = new Map([current, ...previous].map((k) => [k.id, k.key]));
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const plain = temporal.api.common.v1.Payload.encode(payload).finish();
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', this.current.key, iv);
      const body = Buffer.concat([cipher.update(plain), cipher.final()]);
      return {
        metadata: { encoding: ENCODING_BYTES, [KEY_ID_FIELD]: Buffer.from(this.current.id) },
        // iv | ciphertext | tag
        data: Buffer.concat([iv, body, cipher.getAuthTag()]),
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      if (Buffer.from(payload.metadata?.encoding ?? []).toString() !== ENCODING) return payload;
      const keyId = Buffer.from(payload.metadata?.[KEY_ID_FIELD] ?? []).toString();
      const key = this.byId.get(keyId);
      if (!key)
        throw new Error(
          `payload encrypted with unknown key id "${keyId}" (is the previous master key configured?)`,
        );
      const data = Buffer.from(payload.data ?? []);
      if (data.length < 28) throw new Error('encrypted payload is truncated');
      const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, 12));
      decipher.setAuthTag(data.subarray(data.length - 16));
      const plain = Buffer.concat([decipher.update(data.subarray(12, data.length - 16)), decipher.final()]);
      return temporal.api.common.v1.Payload.decode(plain);
    });
  }
}

import { createSign, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';

interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

/** The JSON Web Key Set a receiver fetches to verify V2 webhooks. */
export interface Jwks {
  keys: { kty: string; n: string; e: string; kid: string; alg: 'RS256'; use: 'sig' }[];
}

/**
 * V2 webhook signing: RSA-SHA256 (RSASSA-PKCS1-v1_5) over `<x-shipengine-timestamp>.<raw body>`,
 * base64, named by a key id that the JWKS lists. The signed-data format is reconstructed from public
 * implementations (UNCONFIRMED against the official page, which is cut off).
 */
export class WebhookSigner {
  private keys: SigningKey[] = [];

  constructor() {
    this.rotate();
  }

  /** A new current key. Older keys stay in the JWKS so in-flight deliveries still verify. */
  rotate(): string {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const kid = randomBytes(8).toString('hex');
    this.keys.unshift({ kid, privateKey, publicKey });
    return kid;
  }

  get currentKeyId(): string {
    return this.keys[0]!.kid;
  }

  sign(timestamp: string, rawBody: string): { keyId: string; signature: string } {
    const key = this.keys[0]!;
    const signature = createSign('sha256')
      .update(`${timestamp}.${rawBody}`, 'utf8')
      .sign(key.privateKey, 'base64');
    return { keyId: key.kid, signature };
  }

  jwks(): Jwks {
    return {
      keys: this.keys.map((k) => {
        const jwk = k.publicKey.export({ format: 'jwk' });
        return {
          kty: String(jwk.kty),
          n: String(jwk.n),
          e: String(jwk.e),
          kid: k.kid,
          alg: 'RS256',
          use: 'sig',
        };
      }),
    };
  }

  /** Back to one fresh key. */
  reset(): void {
    this.keys = [];
    this.rotate();
  }
}

import { createHash, timingSafeEqual } from 'node:crypto';
import type { V1KeyPair } from './options';

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** Constant-time credential checks on SHA-256 digests (equal lengths, so timingSafeEqual applies). */
export class Credentials {
  private readonly pairs: { pair: Buffer; id: string }[];
  private readonly keys: { key: Buffer; id: string }[];

  constructor(v1Keys: V1KeyPair[], v2Keys: string[]) {
    this.pairs = v1Keys.map((k) => ({ pair: digest(`${k.apiKey}:${k.apiSecret}`), id: `v1:${k.apiKey}` }));
    this.keys = v2Keys.map((k, i) => ({ key: digest(k), id: `v2:${i}` }));
  }

  /** `Authorization: Basic base64(key:secret)` -> the key pair's limiter id, or undefined. */
  v1(header: string | undefined): string | undefined {
    const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
    if (!m) return undefined;
    const sent = digest(Buffer.from(m[1]!, 'base64').toString('utf8'));
    let found: string | undefined;
    for (const k of this.pairs) if (timingSafeEqual(k.pair, sent)) found = k.id;
    return found;
  }

  /** The `api-key` header -> the key's limiter id, or undefined. */
  v2(header: string | undefined): string | undefined {
    if (!header) return undefined;
    const sent = digest(header);
    let found: string | undefined;
    for (const k of this.keys) if (timingSafeEqual(k.key, sent)) found = k.id;
    return found;
  }
}

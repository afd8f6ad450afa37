import fs from 'node:fs';
import readline from 'node:readline';

// Looks for configured secret values (credentials, the master key, issued access tokens) in text
// and bytes. A hit names where it was found and which secret (by label), never the value.

export interface Secret {
  label: string;
  value: string;
}

export interface SecretHit {
  where: string;
  secret: string;
}

export class SecretScanner {
  private readonly secrets: Array<Secret & { bytes: Buffer }> = [];
  readonly hits: SecretHit[] = [];
  /** Places looked at, by kind ("log lines", "history payloads", ...). */
  readonly scanned: Record<string, number> = {};

  add(label: string, value: string): void {
    // Short values would match by accident; every secret the run configures is longer.
    if (value.length < 8) throw new RangeError(`secret ${label} is too short to scan for`);
    if (this.secrets.some((s) => s.value === value)) return;
    this.secrets.push({ label, value, bytes: Buffer.from(value, 'utf8') });
  }

  get count(): number {
    return this.secrets.length;
  }

  text(kind: string, where: string, text: string): void {
    this.scanned[kind] = (this.scanned[kind] ?? 0) + 1;
    for (const s of this.secrets) if (text.includes(s.value)) this.hits.push({ where, secret: s.label });
  }

  bytes(kind: string, where: string, data: Uint8Array | string | null | undefined): void {
    this.scanned[kind] = (this.scanned[kind] ?? 0) + 1;
    if (data === null || data === undefined) return;
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data);
    for (const s of this.secrets) if (buf.includes(s.bytes)) this.hits.push({ where, secret: s.label });
  }

  /** Every line of a log file. */
  async file(kind: string, file: string, name: string): Promise<void> {
    if (!fs.existsSync(file)) return;
    const lines = readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Infinity });
    let n = 0;
    for await (const line of lines) {
      n++;
      this.text(kind, `${name}:${n}`, line);
    }
  }
}

import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Kysely } from 'kysely';
import { VAULT_REF } from './config/schema';
import type { Database } from './db/types';
import { logger, registerSecret } from './logger';

// Credentials encrypted at rest with AES-256-GCM. Each row stores the id of the master key that
// sealed it, so keys can rotate: the keyring holds the current key plus previous ones, and
// `rotate` re-seals every row with a new key in one transaction.

const ALGORITHM = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;

/** Errors name the credential ref or the key id, never a value or key material. */
export class VaultError extends Error {
  override readonly name = 'VaultError';
}

export interface MasterKey {
  /** First 16 hex characters of SHA-256(key): identifies the key without revealing it. */
  id: string;
  key: Buffer;
}

export interface MasterKeys {
  current: MasterKey;
  /** Older keys, still able to decrypt rows sealed before a rotation. */
  previous: MasterKey[];
}

/** What the vault stores per secret; the same columns hold OAuth tokens. */
export interface Sealed {
  keyId: string;
  iv: Buffer;
  ciphertext: Buffer;
  authTag: Buffer;
}

export interface CredentialInfo {
  ref: string;
  keyId: string;
  createdAt: Date;
  updatedAt: Date;
}

export function masterKey(key: Buffer): MasterKey {
  if (key.length !== KEY_BYTES)
    throw new VaultError(`a master key must be ${KEY_BYTES} bytes, not ${key.length}`);
  return { id: createHash('sha256').update(key).digest('hex').slice(0, 16), key };
}

export function generateMasterKey(): MasterKey {
  return masterKey(randomBytes(KEY_BYTES));
}

/** The text form written to key files: base64 of the 32 bytes. */
export function encodeMasterKey(key: MasterKey): string {
  return key.key.toString('base64');
}

/**
 * Parse a key given as base64 (standard or URL-safe) or hex of exactly 32 bytes. `where` names
 * the source (variable or file) in the error; the text itself is never echoed.
 */
export function parseMasterKey(text: string, where: string): MasterKey {
  const t = text.trim();
  let bytes: Buffer | undefined;
  if (/^[0-9a-fA-F]{64}$/.test(t)) bytes = Buffer.from(t, 'hex');
  else if (/^[A-Za-z0-9+/_-]{43}=?$/.test(t))
    bytes = Buffer.from(t.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  if (!bytes || bytes.length !== KEY_BYTES) {
    throw new VaultError(
      `${where} is not a 32-byte key in base64 or hex (generate one with: openssl rand -base64 32)`,
    );
  }
  return masterKey(bytes);
}

/** AAD binding a sealed credential to its ref, so a ciphertext cannot be moved to another ref. */
export function credentialAad(ref: string): string {
  return `credential:${ref}`;
}

/** AAD for a row of oauth_tokens; token code must seal with it so `rotate` can re-seal the row. */
export function tokenAad(connection: string, kind: string): string {
  return `oauth_token:${connection}:${kind}`;
}

/** Where the current key lives, which decides how it can be rotated. */
export interface KeyStore {
  source: 'env' | 'file';
  keyFile: string;
}

export class Vault {
  private readonly db: Kysely<Database>;
  private keys: MasterKeys;
  readonly keyStore: KeyStore | undefined;
  private readonly log = logger().child({ component: 'vault' });

  constructor(opts: { db: Kysely<Database>; keys: MasterKeys; keyStore?: KeyStore }) {
    this.db = opts.db;
    this.keys = opts.keys;
    this.keyStore = opts.keyStore;
  }

  /** Number of keys that can still decrypt old rows besides the current one. */
  get previousKeyCount(): number {
    return this.keys.previous.length;
  }

  get currentKeyId(): string {
    return this.keys.current.id;
  }

  /** Seal a value with the current key. `aad` must be given again to decrypt. */
  encrypt(plaintext: string | Buffer, aad: string): Sealed {
    return seal(this.keys.current, plaintext, aad);
  }

  /** Open a sealed value with whichever keyring key sealed it. The result is registered for log masking. */
  decrypt(sealed: Sealed, aad: string, label = 'value'): string {
    const value = open(this.keyFor(sealed.keyId, label), sealed, aad, label);
    registerSecret(value);
    return value;
  }

  async set(ref: string, value: string): Promise<void> {
    checkRef(ref);
    if (value === '') throw new VaultError(`credential "${ref}" is empty (give it a value)`);
    const s = this.encrypt(value, credentialAad(ref));
    const row = { key_id: s.keyId, iv: s.iv, ciphertext: s.ciphertext, auth_tag: s.authTag };
    await this.db
      .insertInto('credentials')
      .values({ ref, ...row })
      .onConflict((oc) => oc.column('ref').doUpdateSet({ ...row, updated_at: new Date() }))
      .execute();
    this.log.info({ ref, keyId: s.keyId }, 'credential stored');
  }

  async get(ref: string): Promise<string> {
    const row = await this.db.selectFrom('credentials').selectAll().where('ref', '=', ref).executeTakeFirst();
    if (!row)
      throw new VaultError(
        `no credential "${ref}" in the vault (store it with: ml-connector secrets set ${ref})`,
      );
    return this.decrypt(fromRow(row), credentialAad(ref), `credential "${ref}"`);
  }

  /** Refs with their key ids and dates; never values. */
  async list(): Promise<CredentialInfo[]> {
    const rows = await this.db
      .selectFrom('credentials')
      .select(['ref', 'key_id', 'created_at', 'updated_at'])
      .orderBy('ref')
      .execute();
    return rows.map((r) => ({
      ref: r.ref,
      keyId: r.key_id,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
    }));
  }

  /** True when the ref existed. */
  async delete(ref: string): Promise<boolean> {
    const result = await this.db.deleteFrom('credentials').where('ref', '=', ref).executeTakeFirst();
    const deleted = result.numDeletedRows > 0n;
    if (deleted) this.log.info({ ref }, 'credential deleted');
    return deleted;
  }

  /**
   * Make `newKey` current (the old current key joins the previous keys) and re-seal every
   * credential and OAuth token with it, in one transaction: either all rows move or none do.
   * Returns the number of rows re-sealed.
   */
  async rotate(newKey: MasterKey): Promise<number> {
    const ring = [this.keys.current, ...this.keys.previous].filter((k) => k.id !== newKey.id);
    const next: MasterKeys = { current: newKey, previous: ring };
    const keyFor = (id: string, label: string) => findKey(next, id, label);

    const count = await this.db.transaction().execute(async (trx) => {
      let n = 0;
      const creds = await trx.selectFrom('credentials').selectAll().forUpdate().execute();
      for (const row of creds) {
        const aad = credentialAad(row.ref);
        const label = `credential "${row.ref}"`;
        const s = seal(newKey, open(keyFor(row.key_id, label), fromRow(row), aad, label), aad);
        await trx
          .updateTable('credentials')
          .set({
            key_id: s.keyId,
            iv: s.iv,
            ciphertext: s.ciphertext,
            auth_tag: s.authTag,
            updated_at: new Date(),
          })
          .where('ref', '=', row.ref)
          .execute();
        n++;
      }
      const tokens = await trx.selectFrom('oauth_tokens').selectAll().forUpdate().execute();
      for (const row of tokens) {
        const aad = tokenAad(row.connection, row.kind);
        const label = `token ${row.connection}/${row.kind}`;
        const s = seal(newKey, open(keyFor(row.key_id, label), fromRow(row), aad, label), aad);
        await trx
          .updateTable('oauth_tokens')
          .set({ key_id: s.keyId, iv: s.iv, ciphertext: s.ciphertext, auth_tag: s.authTag })
          .where('connection', '=', row.connection)
          .where('kind', '=', row.kind)
          .execute();
        n++;
      }
      return n;
    });
    this.keys = next;
    this.log.info({ keyId: newKey.id, rows: count }, 'vault re-encrypted with a new master key');
    return count;
  }

  /** Re-seal every row with the current key, e.g. after the operator moved the old key to MLC_MASTER_KEY_PREVIOUS. */
  async reseal(): Promise<number> {
    return this.rotate(this.keys.current);
  }

  /**
   * Rotate a file-managed key: the current key is added to `<keyFile>.previous` and a new key
   * written to the key file before any row changes, so whatever fails afterwards every row stays
   * readable through the keyring. Then every row is re-sealed with the new key.
   */
  async rotateKeyFile(): Promise<{ keyId: string; rows: number }> {
    if (this.keyStore?.source !== 'file') {
      throw new VaultError(
        'the master key does not come from a key file (set MLC_MASTER_KEY to the new key instead)',
      );
    }
    const { keyFile } = this.keyStore;
    const newKey = generateMasterKey();
    const previousFile = `${keyFile}.previous`;
    const older = fs.existsSync(previousFile) ? readKeyFile(previousFile) : [];
    const current = this.keys.current;
    writeKeyFile(previousFile, [current, ...older.filter((k) => k.id !== current.id)]);
    writeKeyFile(keyFile, [newKey]);
    return { keyId: newKey.id, rows: await this.rotate(newKey) };
  }

  private keyFor(id: string, label: string): MasterKey {
    return findKey(this.keys, id, label);
  }
}

function checkRef(ref: string): void {
  if (!VAULT_REF.test(ref)) {
    throw new VaultError(
      `"${ref.slice(0, 60)}" is not a valid credential ref (use letters, digits, ".", "_", "/" or "-", e.g. carrier-demo.clientSecret)`,
    );
  }
}

function findKey(keys: MasterKeys, id: string, label: string): MasterKey {
  const key = [keys.current, ...keys.previous].find((k) => k.id === id);
  if (!key) {
    throw new VaultError(
      `${label} was encrypted with master key ${id}, which is not in the keyring ` +
        `(add that key to MLC_MASTER_KEY_PREVIOUS or the key file's .previous file)`,
    );
  }
  return key;
}

function seal(key: MasterKey, plaintext: string | Buffer, aad: string): Sealed {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv(ALGORITHM, key.key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { keyId: key.id, iv, ciphertext, authTag: cipher.getAuthTag() };
}

function open(key: MasterKey, sealed: Sealed, aad: string, label: string): string {
  try {
    const decipher = createDecipheriv(ALGORITHM, key.key, sealed.iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(sealed.authTag);
    return Buffer.concat([decipher.update(sealed.ciphertext), decipher.final()]).toString('utf8');
  } catch {
    // GCM says only "unable to authenticate": wrong key, tampering, or a row moved to another ref.
    throw new VaultError(
      `${label} cannot be decrypted with master key ${key.id} (the row was altered or sealed for another ref)`,
    );
  }
}

function fromRow(row: { key_id: string; iv: Buffer; ciphertext: Buffer; auth_tag: Buffer }): Sealed {
  return { keyId: row.key_id, iv: row.iv, ciphertext: row.ciphertext, authTag: row.auth_tag };
}

// ---- Master keys: from the environment or a key file ---------------------------------------

export interface LoadedKeys {
  keys: MasterKeys;
  /** `env` when MLC_MASTER_KEY supplied the key (rotation is then the operator's job). */
  source: 'env' | 'file';
  keyFile: string;
  /** True when this call created the key file. */
  created: boolean;
}

/**
 * The keyring: MLC_MASTER_KEY (+ MLC_MASTER_KEY_PREVIOUS, comma or whitespace separated) when
 * set, else `keyFile` (+ `<keyFile>.previous`, one key per line). A missing key file is created
 * with a fresh key, mode 0600, in a directory created 0700; a key file readable by group or others
 * is refused.
 */
export function loadMasterKeys(opts: { keyFile: string; env?: NodeJS.ProcessEnv }): LoadedKeys {
  const env = opts.env ?? process.env;
  const keyFile = opts.keyFile;
  const fromEnv = env.MLC_MASTER_KEY;
  if (fromEnv) {
    const previous = (env.MLC_MASTER_KEY_PREVIOUS ?? '')
      .split(/[\s,]+/)
      .filter(Boolean)
      .map((t, i) => parseMasterKey(t, `MLC_MASTER_KEY_PREVIOUS (entry ${i + 1})`));
    return {
      keys: { current: parseMasterKey(fromEnv, 'MLC_MASTER_KEY'), previous },
      source: 'env',
      keyFile,
      created: false,
    };
  }

  const created = !fs.existsSync(keyFile) && createKeyFile(keyFile);
  if (created) logger().child({ component: 'vault' }).info({ keyFile }, 'created a new master key file');
  const [current] = readKeyFile(keyFile);
  if (!current)
    throw new VaultError(
      `master key file ${keyFile} is empty (delete it to create a new key only if the vault is empty)`,
    );
  const previousFile = `${keyFile}.previous`;
  const previous = fs.existsSync(previousFile) ? readKeyFile(previousFile) : [];
  return { keys: { current, previous }, source: 'file', keyFile, created };
}

function readKeyFile(file: string): MasterKey[] {
  const stat = fs.statSync(file);
  if (process.platform !== 'win32' && (stat.mode & 0o077) !== 0) {
    const mode = (stat.mode & 0o777).toString(8).padStart(4, '0');
    throw new VaultError(
      `master key file ${file} is readable by group or others (mode ${mode}); run: chmod 600 ${file}`,
    );
  }
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((line, i) => parseMasterKey(line, `master key file ${file} (line ${i + 1})`));
}

/** A complete key file under a temporary name next to `file` (mode 0600, directory created 0700). */
function writeTemp(file: string, keys: MasterKey[]): string {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  fs.writeFileSync(tmp, keys.map(encodeMasterKey).join('\n') + '\n', { mode: 0o600, flag: 'wx' });
  return tmp;
}

/** Write keys (one per line) atomically, replacing `file`. */
export function writeKeyFile(file: string, keys: MasterKey[]): void {
  fs.renameSync(writeTemp(file, keys), file);
}

/**
 * Create the first key file. link() fails if the file exists, so when two processes start at
 * once exactly one key wins and both read it; neither can read a half-written file.
 */
function createKeyFile(file: string): boolean {
  const tmp = writeTemp(file, [generateMasterKey()]);
  try {
    fs.linkSync(tmp, file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    fs.unlinkSync(tmp);
  }
}

/** Load the keyring for `config.vault.keyFile` and open the vault on `db`. */
export async function openVault(
  db: Kysely<Database>,
  config: { vault: { keyFile: string } },
  env: NodeJS.ProcessEnv = process.env,
): Promise<Vault> {
  const loaded = loadMasterKeys({ keyFile: config.vault.keyFile, env });
  return new Vault({ db, keys: loaded.keys, keyStore: { source: loaded.source, keyFile: loaded.keyFile } });
}

/**
 * Resolve a credential reference from the config: `vault:<ref>` reads the vault, `env:<VAR>`
 * the environment. The value is registered so it is masked in every log line.
 */
export async function resolveCredential(
  reference: string,
  deps: { vault: Vault; env?: NodeJS.ProcessEnv },
): Promise<string> {
  if (reference.startsWith('vault:')) return deps.vault.get(reference.slice('vault:'.length));
  if (reference.startsWith('env:')) {
    const name = reference.slice('env:'.length);
    const value = (deps.env ?? process.env)[name];
    if (!value) {
      throw new VaultError(
        `environment variable ${name} (named by "env:${name}") is not set (export it or use a vault: reference)`,
      );
    }
    registerSecret(value);
    return value;
  }
  throw new VaultError('not a credential reference (write vault:<ref> or env:<VAR>)');
}

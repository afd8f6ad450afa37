import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { Database, OAuthTokensTable } from '../types';

export type TokenRow = Selectable<OAuthTokensTable>;

/** A token as the vault encrypted it (AES-256-GCM); this repo never sees plaintext. */
export interface EncryptedToken {
  keyId: string;
  iv: Buffer;
  ciphertext: Buffer;
  authTag: Buffer;
}

/**
 * OAuth tokens shared by every worker process. Refreshing is single-flight: `withLock` holds a
 * transaction-scoped advisory lock per (connection, kind), so a second process waits, then sees
 * the token the first one stored. An advisory lock rather than SELECT ... FOR UPDATE because it
 * also covers the very first fetch, when there is no row to lock yet; PGlite supports it too.
 */
export class TokenRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async get(connection: string, kind = 'access'): Promise<TokenRow | undefined> {
    return this.db
      .selectFrom('oauth_tokens')
      .selectAll()
      .where('connection', '=', connection)
      .where('kind', '=', kind)
      .executeTakeFirst();
  }

  /**
   * Runs `fn` in a transaction that holds the lock for (connection, kind), with the row as it is
   * once the lock is held. The lock is released at commit or rollback. Inside `fn`, use `tx` for
   * every query: the embedded database has one connection, which this transaction holds.
   */
  async withLock<T>(
    connection: string,
    kind: string,
    fn: (tx: Transaction<Database>, current: TokenRow | undefined) => Promise<T>,
  ): Promise<T> {
    return this.db.transaction().execute(async (tx) => {
      await sql`SELECT pg_advisory_xact_lock(hashtext('oauth_tokens'), hashtext(${`${connection}\u001f${kind}`}))`.execute(
        tx,
      );
      const current = await new TokenRepo(tx).get(connection, kind);
      return fn(tx, current);
    });
  }

  /** Stores a freshly obtained token (a new row or the next version), clearing any lockout. */
  async save(
    executor: Kysely<Database>,
    connection: string,
    kind: string,
    token: EncryptedToken & { expiresAt: Date | null; obtainedAt?: Date },
  ): Promise<TokenRow> {
    const values = {
      key_id: token.keyId,
      iv: token.iv,
      ciphertext: token.ciphertext,
      auth_tag: token.authTag,
      expires_at: token.expiresAt,
      obtained_at: token.obtainedAt ?? new Date(),
      locked_until: null,
    };
    return executor
      .insertInto('oauth_tokens')
      .values({ connection, kind, ...values })
      .onConflict((oc) =>
        oc.columns(['connection', 'kind']).doUpdateSet({ ...values, version: sql`oauth_tokens.version + 1` }),
      )
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  /**
   * Records an auth lockout (no token request before `until`; null lifts it). Returns false when
   * there is no token row for (connection, kind) to attach it to.
   */
  async setLockedUntil(
    executor: Kysely<Database>,
    connection: string,
    kind: string,
    until: Date | null,
  ): Promise<boolean> {
    const res = await executor
      .updateTable('oauth_tokens')
      .set({ locked_until: until })
      .where('connection', '=', connection)
      .where('kind', '=', kind)
      .executeTakeFirst();
    return res.numUpdatedRows > 0n;
  }
}

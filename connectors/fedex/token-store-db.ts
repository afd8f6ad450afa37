// The production TokenStore: one FedEx access token per connection in oauth_tokens, sealed with the
// vault, shared by every worker process for its hour.
//
// Single flight across processes without holding a transaction during the HTTP call: under
// TokenRepo.withLock a process either finds a usable token (another process refreshed meanwhile),
// or records a short-lived claim in oauth_token_control and fetches the token outside the lock,
// while the others poll until the new token is stored. Holding the lock across the call would pin
// a database connection for the whole request, and on the embedded database (one connection) the
// client's limiter and audit writes inside the call could never run.

import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { TokenRepo, type TokenRow } from '../../lib/db/repos/tokens';
import type { Database } from '../../lib/db/types';
import { tokenAad, type Vault } from '../../lib/vault';
import { TokenLockedOutError, type AccessToken, type TokenStore } from './token-store';

/** Columns of oauth_token_control (migration 2026-11-23T00-00_token_lockouts). */
interface TokenControlTable {
  connection: string;
  kind: string;
  locked_until: Date | null;
  refresh_claim: string | null;
  refresh_claimed_until: Date | null;
}
type ControlDatabase = { oauth_token_control: TokenControlTable };

function control(db: Kysely<Database>): Kysely<ControlDatabase> {
  return db as unknown as Kysely<ControlDatabase>;
}

export interface DbTokenStoreOptions {
  db: Kysely<Database>;
  vault: Pick<Vault, 'encrypt' | 'decrypt'>;
  /** oauth_tokens.kind (default "access"). */
  kind?: string;
  /** A token with less life left than this is not handed out (default 60 s). */
  marginMs?: number;
  /** How long a fetching process keeps its claim before others may take over (default 2 min). */
  claimTtlMs?: number;
  /** How often a waiting process looks for the new token (default 100 ms). */
  pollMs?: number;
  /** Clock for token expiry and lockouts; claims always use real time. */
  now?: () => Date;
  log?: Logger;
}

type Step = { token: AccessToken } | { locked: Date } | { wait: true } | { claimed: string };

export class DbTokenStore implements TokenStore {
  private readonly db: Kysely<Database>;
  private readonly tokens: TokenRepo;
  private readonly kind: string;
  private readonly marginMs: number;
  private readonly claimTtlMs: number;
  private readonly pollMs: number;
  private readonly now: () => Date;
  /** Callers in this process share one refresh per connection instead of polling the database. */
  private readonly inflight = new Map<string, Promise<AccessToken>>();
  /**
   * The last token this process read or stored per connection, served without a query (and without
   * decrypting) while it is fresh. A token another process renewed after a 401 reaches this process
   * through `refresh(…, rejected)` when FedEx refuses the copy here: one refused call, no token request.
   */
  private readonly known = new Map<string, AccessToken>();

  constructor(private readonly opts: DbTokenStoreOptions) {
    this.db = opts.db;
    this.tokens = new TokenRepo(opts.db);
    this.kind = opts.kind ?? 'access';
    this.marginMs = opts.marginMs ?? 60_000;
    this.claimTtlMs = opts.claimTtlMs ?? 120_000;
    this.pollMs = opts.pollMs ?? 100;
    this.now = opts.now ?? (() => new Date());
  }

  async getValid(connection: string): Promise<AccessToken | null> {
    const known = this.known.get(connection);
    if (known && this.fresh(known)) return known;
    const token = this.open(connection, await this.tokens.get(connection, this.kind));
    if (!token || !this.fresh(token)) return null;
    this.known.set(connection, token);
    return token;
  }

  refresh(
    connection: string,
    fetchToken: () => Promise<AccessToken>,
    rejected?: string,
  ): Promise<AccessToken> {
    const running = this.inflight.get(connection);
    if (running) return running;
    if (rejected !== undefined && this.known.get(connection)?.value === rejected)
      this.known.delete(connection);
    const run = this.refreshShared(connection, fetchToken, rejected)
      .then((token) => {
        this.known.set(connection, token);
        return token;
      })
      .finally(() => this.inflight.delete(connection));
    this.inflight.set(connection, run);
    return run;
  }

  async lockedUntil(connection: string): Promise<Date | null> {
    const row = await control(this.db)
      .selectFrom('oauth_token_control')
      .select('locked_until')
      .where('connection', '=', connection)
      .where('kind', '=', this.kind)
      .executeTakeFirst();
    return row?.locked_until ?? null;
  }

  async lockUntil(connection: string, until: Date): Promise<void> {
    await control(this.db)
      .insertInto('oauth_token_control')
      .values({
        connection,
        kind: this.kind,
        locked_until: until,
        refresh_claim: null,
        refresh_claimed_until: null,
      })
      .onConflict((oc) => oc.columns(['connection', 'kind']).doUpdateSet({ locked_until: until }))
      .execute();
    this.opts.log?.warn({ connection, until: until.toISOString() }, 'token requests locked out');
  }

  private async refreshShared(
    connection: string,
    fetchToken: () => Promise<AccessToken>,
    rejected: string | undefined,
  ): Promise<AccessToken> {
    for (;;) {
      const step = await this.tokens.withLock(connection, this.kind, (tx, row) =>
        this.decide(tx, connection, row, rejected),
      );
      if ('token' in step) return step.token;
      if ('locked' in step) throw new TokenLockedOutError(connection, step.locked);
      if ('wait' in step) {
        await new Promise((resolve) => setTimeout(resolve, this.pollMs));
        continue;
      }
      return this.fetchAndStore(connection, step.claimed, fetchToken);
    }
  }

  /** Inside the lock: reuse a token another process stored, wait for one being fetched, or claim the fetch. */
  private async decide(
    tx: Kysely<Database>,
    connection: string,
    row: TokenRow | undefined,
    rejected: string | undefined,
  ): Promise<Step> {
    const current = this.open(connection, row);
    if (current && this.fresh(current) && current.value !== rejected) return { token: current };
    const ctl = await control(tx)
      .selectFrom('oauth_token_control')
      .selectAll()
      .where('connection', '=', connection)
      .where('kind', '=', this.kind)
      .executeTakeFirst();
    if (ctl?.locked_until && ctl.locked_until.getTime() > this.now().getTime())
      return { locked: ctl.locked_until };
    if (ctl?.refresh_claim && ctl.refresh_claimed_until && ctl.refresh_claimed_until.getTime() > Date.now()) {
      return { wait: true };
    }
    const claim = randomUUID();
    const claimedUntil = new Date(Date.now() + this.claimTtlMs);
    await control(tx)
      .insertInto('oauth_token_control')
      .values({
        connection,
        kind: this.kind,
        locked_until: null,
        refresh_claim: claim,
        refresh_claimed_until: claimedUntil,
      })
      .onConflict((oc) =>
        oc
          .columns(['connection', 'kind'])
          .doUpdateSet({ refresh_claim: claim, refresh_claimed_until: claimedUntil }),
      )
      .execute();
    return { claimed: claim };
  }

  private async fetchAndStore(
    connection: string,
    claim: string,
    fetchToken: () => Promise<AccessToken>,
  ): Promise<AccessToken> {
    let token: AccessToken;
    try {
      token = await fetchToken();
    } catch (err) {
      await this.releaseClaim(this.db, connection, claim);
      throw err;
    }
    const sealed = this.opts.vault.encrypt(token.value, tokenAad(connection, this.kind));
    await this.tokens.withLock(connection, this.kind, async (tx) => {
      await this.tokens.save(tx, connection, this.kind, {
        ...sealed,
        expiresAt: token.expiresAt,
        obtainedAt: this.now(),
      });
      await this.releaseClaim(tx, connection, claim);
    });
    this.opts.log?.info({ connection, expiresAt: token.expiresAt.toISOString() }, 'new access token stored');
    return token;
  }

  private async releaseClaim(db: Kysely<Database>, connection: string, claim: string): Promise<void> {
    await control(db)
      .updateTable('oauth_token_control')
      .set({ refresh_claim: null, refresh_claimed_until: null })
      .where('connection', '=', connection)
      .where('kind', '=', this.kind)
      .where('refresh_claim', '=', claim)
      .execute();
  }

  private open(connection: string, row: TokenRow | undefined): AccessToken | null {
    if (!row?.expires_at) return null;
    const value = this.opts.vault.decrypt(
      { keyId: row.key_id, iv: row.iv, ciphertext: row.ciphertext, authTag: row.auth_tag },
      tokenAad(connection, this.kind),
      `token ${connection}/${this.kind}`,
    );
    return { value, expiresAt: row.expires_at };
  }

  private fresh(token: AccessToken): boolean {
    return token.expiresAt.getTime() - this.now().getTime() > this.marginMs;
  }
}

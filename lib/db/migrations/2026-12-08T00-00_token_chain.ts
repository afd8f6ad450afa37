import { sql, type Kysely } from 'kysely';

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations use Kysely<any>: they never see app types. */

// oauth_tokens holds what a rotating refresh-token chain needs (some ERPs: every refresh returns a
// new refresh token and kills the old one). The refresh token is sealed together with the access token
// in the row's one ciphertext, so a single write stores both and the vault's key rotation re-seals
// both; its issue time and expiry stay readable without decrypting (doctor shows the days left). A
// broken chain is recorded as the row's state, so every worker sees it and stops refreshing until a
// person authorizes the connection again.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('oauth_tokens')
    .addColumn('refresh_issued_at', 'timestamptz')
    .addColumn('refresh_expires_at', 'timestamptz')
    .addColumn('state', 'text', (c) => c.notNull().defaultTo('ok'))
    .addColumn('state_reason', 'text')
    .addColumn('state_changed_at', 'timestamptz')
    .execute();
  await db.schema
    .alterTable('oauth_tokens')
    .addCheckConstraint('oauth_tokens_state_check', sql`state IN ('ok', 'needs_reauthorization')`)
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('oauth_tokens').dropConstraint('oauth_tokens_state_check').execute();
  await db.schema
    .alterTable('oauth_tokens')
    .dropColumn('state_changed_at')
    .dropColumn('state_reason')
    .dropColumn('state')
    .dropColumn('refresh_expires_at')
    .dropColumn('refresh_issued_at')
    .execute();
}

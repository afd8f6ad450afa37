import { type Kysely } from 'kysely';

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations use Kysely<any>: they never see app types. */

// Per (connection, token kind): an auth lockout and the claim of the process that is fetching a new
// token. Kept apart from oauth_tokens because both exist before any token does (the very first
// token request can be refused with 403), and oauth_tokens rows always hold a ciphertext.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('oauth_token_control')
    .addColumn('connection', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    // No token request for this connection before this time (403 from the token endpoint).
    .addColumn('locked_until', 'timestamptz')
    // A process is fetching a token; others wait for it until the claim expires (it may have died).
    .addColumn('refresh_claim', 'text')
    .addColumn('refresh_claimed_until', 'timestamptz')
    .addPrimaryKeyConstraint('oauth_token_control_pk', ['connection', 'kind'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('oauth_token_control').ifExists().execute();
}

import { type Kysely } from 'kysely';

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations use Kysely<any>: they never see app types. */

// Webhook inbox rows are claimed by a processor before they are acted on. claimed_at lets another
// worker take over a row whose processor died mid-way instead of leaving it in 'processing' forever.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('webhook_inbox').addColumn('claimed_at', 'timestamptz').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('webhook_inbox').dropColumn('claimed_at').execute();
}

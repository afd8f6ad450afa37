import type { Kysely } from 'kysely';

// What the order workflow has been told about its shipment's tracking. The tracking sweep signals a
// workflow when the carrier's latest status differs from this, and records it only after the signal
// went through: a sweep that fails half-way re-signals on its retry instead of losing the update.

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations stay frozen in time (kysely convention)
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('shipments')
    .addColumn('notified_status', 'text')
    .addColumn('notified_event_time', 'timestamptz')
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('shipments')
    .dropColumn('notified_event_time')
    .dropColumn('notified_status')
    .execute();
}

import { sql, type Kysely } from 'kysely';

// A stored document's kind. The labels table also keeps the documents a carrier prints with a
// shipment that crosses a border (the commercial invoice), reachable the same way as its labels;
// every existing row is a label.

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations stay frozen in time (kysely convention)
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('labels')
    .addColumn('kind', 'text', (col) =>
      col
        .notNull()
        .defaultTo('label')
        .check(sql`kind IN ('label', 'commercial_invoice')`),
    )
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('labels').dropColumn('kind').execute();
}

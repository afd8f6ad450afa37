import type { Kysely } from 'kysely';

// The ship-to address an order was last loaded with: the ERP's record of it (opaque, the
// connector's) and a hash of its content. Some ERPs edit an address in place without
// touching the orders that ship to it; the poll asks the connector which recorded addresses
// changed and compares their content with the hash, so an edit reaches a warehouse order once.

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations stay frozen in time (kysely convention)
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('orders')
    .addColumn('ship_to_ref', 'text')
    .addColumn('ship_to_version', 'text')
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('orders').dropColumn('ship_to_version').dropColumn('ship_to_ref').execute();
}

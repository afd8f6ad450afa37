import { sql, type Kysely } from 'kysely';

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations use Kysely<any>: they never see app types. */

// The warehouse-fulfilled path. fulfilment_orders maps each pushed order to its ERP
// order and workflow and keeps the content version last pushed, so a version goes out once.
// fulfilment_shipments holds every shipment seen (webhook or poll), keyed by the warehouse's
// shipmentId: the first sighting inserts it, and notified_at records that its order workflow was
// told, so a second sighting changes nothing. orders.erp_version lets the ERP poll notice edits.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('fulfilment_orders')
    .addColumn('carrier_connection', 'text', (c) => c.notNull())
    .addColumn('external_order_key', 'text', (c) => c.notNull())
    .addColumn('erp_connection', 'text', (c) => c.notNull())
    .addColumn('order_key', 'text', (c) => c.notNull())
    .addColumn('workflow_id', 'text', (c) => c.notNull())
    .addColumn('external_order_id', 'text')
    .addColumn('pushed_version', 'text')
    .addColumn('pushed_at', 'timestamptz')
    .addColumn('phase', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('fulfilment_orders_pk', ['carrier_connection', 'external_order_key'])
    .execute();
  await db.schema
    .createIndex('fulfilment_orders_by_erp_order')
    .on('fulfilment_orders')
    .columns(['erp_connection', 'order_key'])
    .execute();

  await db.schema
    .createTable('fulfilment_shipments')
    .addColumn('carrier_connection', 'text', (c) => c.notNull())
    .addColumn('shipment_id', 'text', (c) => c.notNull())
    .addColumn('external_order_key', 'text')
    .addColumn('workflow_id', 'text')
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('shipment', 'jsonb', (c) => c.notNull())
    .addColumn('voided', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('received_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('notified_at', 'timestamptz')
    .addPrimaryKeyConstraint('fulfilment_shipments_pk', ['carrier_connection', 'shipment_id'])
    .execute();

  await db.schema.alterTable('orders').addColumn('erp_version', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('orders').dropColumn('erp_version').execute();
  await db.schema.dropTable('fulfilment_shipments').execute();
  await db.schema.dropTable('fulfilment_orders').execute();
}

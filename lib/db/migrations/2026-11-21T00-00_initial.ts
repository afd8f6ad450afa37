import { sql, type Kysely } from 'kysely';

// Migrations use Kysely<any> and never import application types, so they stay frozen in time.
/* eslint-disable @typescript-eslint/no-explicit-any -- the kysely convention for migrations */

export async function up(db: Kysely<any>): Promise<void> {
  const now = sql`now()`;

  // Systems the connector talks to (an ERP tenant, a carrier account). Mirrors the config file so
  // the database can say which connection a token, shipment or audit row belongs to.
  await db.schema
    .createTable('connections')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('system', 'text', (c) => c.notNull())
    .addColumn('base_url', 'text', (c) => c.notNull())
    .addColumn('settings', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .execute();

  // Vault: credentials encrypted with AES-256-GCM. `ref` is what the config names
  // (e.g. "carrier-demo.client_secret"); key_id says which master key encrypted the row.
  await db.schema
    .createTable('credentials')
    .addColumn('ref', 'text', (c) => c.primaryKey())
    .addColumn('key_id', 'text', (c) => c.notNull())
    .addColumn('iv', 'bytea', (c) => c.notNull())
    .addColumn('ciphertext', 'bytea', (c) => c.notNull())
    .addColumn('auth_tag', 'bytea', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .execute();

  // OAuth tokens shared by every worker, encrypted like credentials. One row per connection and
  // token kind; refresh is single-flight under a row lock (SELECT ... FOR UPDATE).
  await db.schema
    .createTable('oauth_tokens')
    .addColumn('connection', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull().defaultTo('access'))
    .addColumn('key_id', 'text', (c) => c.notNull())
    .addColumn('iv', 'bytea', (c) => c.notNull())
    .addColumn('ciphertext', 'bytea', (c) => c.notNull())
    .addColumn('auth_tag', 'bytea', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz')
    .addColumn('obtained_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('locked_until', 'timestamptz')
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .addPrimaryKeyConstraint('oauth_tokens_pk', ['connection', 'kind'])
    .execute();

  // The business record of each order the connector has seen (listings come from here, not from
  // Temporal's eventually consistent visibility store).
  await db.schema
    .createTable('orders')
    .addColumn('connection', 'text', (c) => c.notNull())
    .addColumn('order_key', 'text', (c) => c.notNull())
    .addColumn('erp_order_number', 'text', (c) => c.notNull())
    .addColumn('workflow_id', 'text', (c) => c.notNull().unique())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('carrier', 'text')
    .addColumn('tracking_number', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addPrimaryKeyConstraint('orders_pk', ['connection', 'order_key'])
    .execute();
  await db.schema.createIndex('orders_status_idx').on('orders').columns(['status', 'updated_at']).execute();

  // Shipments at a carrier. The idempotency key is derived from the workflow id; the row is written
  // with status 'pending' before the carrier call and completed after it, so a retry after a crash
  // knows to look the first shipment up instead of buying a second label.
  await db.schema
    .createTable('shipments')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('idempotency_key', 'text', (c) => c.notNull().unique())
    .addColumn('workflow_id', 'text', (c) => c.notNull())
    .addColumn('erp_connection', 'text', (c) => c.notNull())
    .addColumn('order_key', 'text', (c) => c.notNull())
    .addColumn('carrier', 'text', (c) => c.notNull())
    .addColumn('carrier_connection', 'text', (c) => c.notNull())
    .addColumn('carrier_account', 'text')
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('pending'))
    .addColumn('service_type', 'text')
    .addColumn('carrier_shipment_id', 'text')
    .addColumn('master_tracking_number', 'text')
    .addColumn('tracking_numbers', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('label_ref', 'text')
    .addColumn('label_format', 'text')
    .addColumn('label_url', 'text')
    .addColumn('label_url_expires_at', 'timestamptz')
    .addColumn('cost_amount', 'numeric(12, 2)')
    .addColumn('cost_currency', 'text')
    .addColumn('tracking_status', 'text')
    .addColumn('tracking_status_at', 'timestamptz')
    .addColumn('delivered_at', 'timestamptz')
    .addColumn('error', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .execute();
  await db.schema
    .createIndex('shipments_order_idx')
    .on('shipments')
    .columns(['erp_connection', 'order_key'])
    .execute();
  await db.schema
    .createIndex('shipments_tracking_idx')
    .on('shipments')
    .columns(['carrier_connection', 'tracking_status'])
    .execute();
  await db.schema
    .createIndex('shipments_master_tn_idx')
    .on('shipments')
    .column('master_tracking_number')
    .execute();

  // Label bytes, referenced from shipments.label_ref; workflow payloads carry only the reference.
  await db.schema
    .createTable('labels')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('shipment_id', 'bigint', (c) => c.references('shipments.id'))
    .addColumn('format', 'text', (c) => c.notNull())
    .addColumn('content', 'bytea', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .execute();

  // Tracking events from polls and webhooks. dedup_key makes the same scan stored once whichever
  // path (poll or webhook) saw it first.
  await db.schema
    .createTable('tracking_events')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('dedup_key', 'text', (c) => c.notNull().unique())
    .addColumn('carrier', 'text', (c) => c.notNull())
    .addColumn('tracking_number', 'text', (c) => c.notNull())
    .addColumn('shipment_id', 'bigint', (c) => c.references('shipments.id'))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('raw_code', 'text')
    .addColumn('description', 'text')
    .addColumn('location', 'text')
    .addColumn('event_time', 'timestamptz', (c) => c.notNull())
    .addColumn('estimated_delivery', 'timestamptz')
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('received_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .execute();
  await db.schema
    .createIndex('tracking_events_tn_idx')
    .on('tracking_events')
    .columns(['tracking_number', 'event_time'])
    .execute();

  // Where each ERP poll stream got to (a timestamp plus an opaque cursor for systems that page).
  await db.schema
    .createTable('poll_watermarks')
    .addColumn('connection', 'text', (c) => c.notNull())
    .addColumn('stream', 'text', (c) => c.notNull())
    .addColumn('watermark', 'timestamptz', (c) => c.notNull())
    .addColumn('cursor', 'text')
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addPrimaryKeyConstraint('poll_watermarks_pk', ['connection', 'stream'])
    .execute();

  // Webhook inbox: every verified delivery is stored once (dedup_key) before it is acted on.
  await db.schema
    .createTable('webhook_inbox')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('dedup_key', 'text', (c) => c.notNull())
    .addColumn('event_type', 'text')
    .addColumn('headers', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('received'))
    .addColumn('error', 'text')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('received_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('processed_at', 'timestamptz')
    .addUniqueConstraint('webhook_inbox_dedup', ['source', 'dedup_key'])
    .execute();
  await db.schema
    .createIndex('webhook_inbox_status_idx')
    .on('webhook_inbox')
    .columns(['status', 'id'])
    .execute();

  // Append-only audit log: every external call and state change. Never secrets.
  await db.schema
    .createTable('audit_log')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('connection', 'text')
    .addColumn('system', 'text')
    .addColumn('workflow_id', 'text')
    .addColumn('order_key', 'text')
    .addColumn('correlation_id', 'text')
    .addColumn('http_method', 'text')
    .addColumn('http_path', 'text')
    .addColumn('http_status', 'integer')
    .addColumn('duration_ms', 'integer')
    .addColumn('details', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .execute();
  await db.schema
    .createIndex('audit_log_workflow_idx')
    .on('audit_log')
    .columns(['workflow_id', 'id'])
    .execute();
  await db.schema
    .createIndex('audit_log_order_idx')
    .on('audit_log')
    .columns(['connection', 'order_key', 'id'])
    .execute();

  // The audit log is append-only: the database itself refuses updates and deletes.
  await sql`
    CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'audit_log is append-only (% refused)', TG_OP;
    END;
    $$`.execute(db);
  await sql`
    CREATE TRIGGER audit_log_no_update_delete
    BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TRIGGER IF EXISTS audit_log_no_update_delete ON audit_log`.execute(db);
  await sql`DROP FUNCTION IF EXISTS audit_log_append_only()`.execute(db);
  for (const t of [
    'audit_log',
    'webhook_inbox',
    'poll_watermarks',
    'tracking_events',
    'labels',
    'shipments',
    'orders',
    'oauth_tokens',
    'credentials',
    'connections',
  ]) {
    await db.schema.dropTable(t).ifExists().execute();
  }
}

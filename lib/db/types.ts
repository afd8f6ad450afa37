import type { FulfilmentShipment } from '../../domain/fulfilment';
import type { ColumnType, Generated, Insertable, JSONColumnType, Selectable, Updateable } from 'kysely';

// Hand-written table types (kysely convention). Nullable columns are `T | null`, never optional.

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
/** numeric comes back from pg as a string to keep its precision. */
type Numeric = ColumnType<string | null, string | number | null | undefined, string | number | null>;

export interface ConnectionsTable {
  name: string;
  system: string;
  base_url: string;
  settings: JSONColumnType<Record<string, unknown>>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface CredentialsTable {
  ref: string;
  key_id: string;
  iv: Buffer;
  ciphertext: Buffer;
  auth_tag: Buffer;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface OAuthTokensTable {
  connection: string;
  kind: ColumnType<string, string | undefined, string>;
  key_id: string;
  iv: Buffer;
  ciphertext: Buffer;
  auth_tag: Buffer;
  expires_at: NullableTimestamp;
  obtained_at: Timestamp;
  /** Set after an auth lockout: no token request before this time. */
  locked_until: NullableTimestamp;
  version: ColumnType<number, number | undefined, number>;
  /** The refresh token sealed with the access token (migration 2026-12-08T00-00_token_chain): when it was issued. */
  refresh_issued_at: NullableTimestamp;
  /** When the refresh token stops working (30 days after issue, say); null when unknown or none. */
  refresh_expires_at: NullableTimestamp;
  /** needs_reauthorization once a refresh-token chain is broken: every worker stops refreshing. */
  state: ColumnType<TokenState, TokenState | undefined, TokenState>;
  state_reason: string | null;
  state_changed_at: NullableTimestamp;
}

/** A token slot's state: usable, or broken until a person authorizes the connection again. */
export type TokenState = 'ok' | 'needs_reauthorization';

/**
 * Per (connection, token kind): a lockout of the token endpoint and the claim of the process that is
 * fetching a new token (migration 2026-11-23T00-00_token_lockouts). Rows exist before any token does.
 */
export interface OAuthTokenControlTable {
  connection: string;
  kind: string;
  locked_until: NullableTimestamp;
  refresh_claim: string | null;
  refresh_claimed_until: NullableTimestamp;
}

/** The lifecycle statuses live in the domain (workflows use them too). */
export type { OrderStatus } from '../../domain/lifecycle';

export interface OrdersTable {
  connection: string;
  order_key: string;
  erp_order_number: string;
  workflow_id: string;
  status: string;
  reason: string | null;
  carrier: string | null;
  tracking_number: string | null;
  /** The ERP's version of the order when last seen by a poll (edits change it). */
  erp_version: string | null;
  /** The ERP's record of the ship-to address the order was last loaded with (ErpOrder.shipToRef). */
  ship_to_ref: string | null;
  /** Hash of that address's content when loaded or last seen changed (activities/orders/ship-to.ts). */
  ship_to_version: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface FulfilmentOrdersTable {
  carrier_connection: string;
  external_order_key: string;
  erp_connection: string;
  order_key: string;
  workflow_id: string;
  external_order_id: string | null;
  pushed_version: string | null;
  pushed_at: NullableTimestamp;
  phase: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface FulfilmentShipmentsTable {
  carrier_connection: string;
  shipment_id: string;
  external_order_key: string | null;
  workflow_id: string | null;
  source: string;
  shipment: JSONColumnType<FulfilmentShipment>;
  voided: ColumnType<boolean, boolean | undefined, boolean>;
  received_at: Timestamp;
  notified_at: NullableTimestamp;
}

export interface ShipmentsTable {
  id: Generated<string>;
  idempotency_key: string;
  workflow_id: string;
  erp_connection: string;
  order_key: string;
  carrier: string;
  carrier_connection: string;
  carrier_account: string | null;
  /** pending (intent recorded) | created | cancelled | failed */
  status: ColumnType<string, string | undefined, string>;
  service_type: string | null;
  carrier_shipment_id: string | null;
  master_tracking_number: string | null;
  tracking_numbers: JSONColumnType<string[]>;
  label_ref: string | null;
  label_format: string | null;
  label_url: string | null;
  label_url_expires_at: NullableTimestamp;
  cost_amount: Numeric;
  cost_currency: string | null;
  tracking_status: string | null;
  tracking_status_at: NullableTimestamp;
  /** The tracking status last signalled to the order workflow, and its event time. */
  notified_status: ColumnType<string | null, string | null | undefined, string | null>;
  notified_event_time: NullableTimestamp;
  delivered_at: NullableTimestamp;
  error: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** What a stored document is: the shipment's label, or a document printed with it. */
export type LabelKind = 'label' | 'commercial_invoice';

export interface LabelsTable {
  id: string;
  shipment_id: string | null;
  /** 'label' unless given. */
  kind: ColumnType<LabelKind, LabelKind | undefined, LabelKind>;
  format: string;
  content: Buffer;
  created_at: Timestamp;
}

export interface TrackingEventsTable {
  id: Generated<string>;
  dedup_key: string;
  carrier: string;
  tracking_number: string;
  shipment_id: string | null;
  status: string;
  raw_code: string | null;
  description: string | null;
  location: string | null;
  event_time: Timestamp;
  estimated_delivery: NullableTimestamp;
  source: string;
  received_at: Timestamp;
}

export interface PollWatermarksTable {
  connection: string;
  stream: string;
  watermark: Timestamp;
  cursor: string | null;
  updated_at: Timestamp;
}

export interface WebhookInboxTable {
  id: Generated<string>;
  source: string;
  dedup_key: string;
  event_type: string | null;
  headers: JSONColumnType<Record<string, string>>;
  body: string;
  /** received -> processing (claimed) -> processed; back to received on a retryable failure, failed when out of attempts. */
  status: ColumnType<string, string | undefined, string>;
  error: string | null;
  attempts: ColumnType<number, number | undefined, number>;
  received_at: Timestamp;
  processed_at: NullableTimestamp;
  /** When a processor claimed the row (migration 2026-11-22T00-00_webhook_inbox_claims). */
  claimed_at: NullableTimestamp;
}

export interface AuditLogTable {
  id: Generated<string>;
  at: Timestamp;
  actor: string;
  action: string;
  outcome: string;
  connection: string | null;
  system: string | null;
  workflow_id: string | null;
  order_key: string | null;
  correlation_id: string | null;
  http_method: string | null;
  http_path: string | null;
  http_status: number | null;
  duration_ms: number | null;
  details: JSONColumnType<Record<string, unknown>>;
}

export interface Database {
  connections: ConnectionsTable;
  credentials: CredentialsTable;
  oauth_tokens: OAuthTokensTable;
  oauth_token_control: OAuthTokenControlTable;
  orders: OrdersTable;
  fulfilment_orders: FulfilmentOrdersTable;
  fulfilment_shipments: FulfilmentShipmentsTable;
  shipments: ShipmentsTable;
  labels: LabelsTable;
  tracking_events: TrackingEventsTable;
  poll_watermarks: PollWatermarksTable;
  webhook_inbox: WebhookInboxTable;
  audit_log: AuditLogTable;
}

export type Shipment = Selectable<ShipmentsTable>;
export type NewShipment = Insertable<ShipmentsTable>;
export type ShipmentUpdate = Updateable<ShipmentsTable>;
export type Order = Selectable<OrdersTable>;
export type AuditEntry = Selectable<AuditLogTable>;
export type NewAuditEntry = Insertable<AuditLogTable>;
export type TrackingEvent = Selectable<TrackingEventsTable>;
export type NewTrackingEvent = Insertable<TrackingEventsTable>;
export type WebhookInboxEntry = Selectable<WebhookInboxTable>;

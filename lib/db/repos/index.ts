import type { Kysely } from 'kysely';
import type { Database } from '../types';
import { AuditRepo } from './audit';
import { ConnectionRepo } from './connections';
import { FulfilmentRepo } from './fulfilment';
import { LabelRepo } from './labels';
import { OrderRepo } from './orders';
import { ShipmentRepo } from './shipments';
import { TokenRepo } from './tokens';
import { TrackingEventRepo } from './tracking-events';
import { WatermarkRepo } from './watermarks';
import { WebhookInboxRepo } from './webhook-inbox';

export { AuditRepo, type AuditInput } from './audit';
export { ConnectionRepo, type ConnectionRow } from './connections';
export { FulfilmentRepo, type FulfilmentOrderRef } from './fulfilment';
export { LabelRepo, type Label } from './labels';
export { OrderRepo, type DetectedOrder } from './orders';
export { ShipmentRepo, type ShipmentCreated, type ShipmentIntent } from './shipments';
export { TokenRepo, type EncryptedToken, type TokenRow } from './tokens';
export { TrackingEventRepo, type TrackingEventInput } from './tracking-events';
export { WatermarkRepo, type Watermark } from './watermarks';
export { WebhookInboxRepo, type InboxDelivery } from './webhook-inbox';

export interface Repos {
  shipments: ShipmentRepo;
  labels: LabelRepo;
  orders: OrderRepo;
  audit: AuditRepo;
  trackingEvents: TrackingEventRepo;
  watermarks: WatermarkRepo;
  webhookInbox: WebhookInboxRepo;
  tokens: TokenRepo;
  connections: ConnectionRepo;
  fulfilment: FulfilmentRepo;
}

export function createRepos(db: Kysely<Database>): Repos {
  return {
    shipments: new ShipmentRepo(db),
    labels: new LabelRepo(db),
    orders: new OrderRepo(db),
    audit: new AuditRepo(db),
    trackingEvents: new TrackingEventRepo(db),
    watermarks: new WatermarkRepo(db),
    webhookInbox: new WebhookInboxRepo(db),
    tokens: new TokenRepo(db),
    connections: new ConnectionRepo(db),
    fulfilment: new FulfilmentRepo(db),
  };
}

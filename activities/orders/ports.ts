import type { ShipmentRequest, ShipmentResult, TrackingError, TrackingUpdate } from '../../domain/model';
import type { ErpOrder, ReadyOrderRef, StatusWriteBack, TrackingWriteBack } from '../../domain/order';

/**
 * What the order lifecycle needs from any ERP. Each ERP connector (activities/<erp>/) provides one
 * per connection; failures are thrown as Temporal ApplicationFailures (non-retryable for
 * permission, validation and business rejections, retryable otherwise).
 */
export interface ErpPort {
  detectReadyOrders(window: { since: Date; until: Date }): Promise<ReadyOrderRef[]>;
  loadOrder(orderKey: string): Promise<ErpOrder>;
  writeTracking(order: ErpOrderHandle, tracking: TrackingWriteBack): Promise<void>;
  writeStatus(order: ErpOrderHandle, status: StatusWriteBack): Promise<void>;
}

/** What the ERP needs back to write to an order: its key and the connector's own write-back keys. */
export type ErpOrderHandle = Pick<ErpOrder, 'orderKey' | 'orderNumber' | 'writeBackKeys'>;

/** What the order lifecycle needs from any carrier (activities/<carrier>/), per connection. */
export interface CarrierPort {
  /** Idempotent per request.idempotencyKey: a retry never buys a second label. */
  createShipment(input: {
    workflowId: string;
    erpConnection: string;
    orderKey: string;
    request: ShipmentRequest;
  }): Promise<ShipmentResult>;
  /** Updates that changed something, and numbers the carrier could not answer for. */
  track(trackingNumbers: string[]): Promise<{ updates: TrackingUpdate[]; errors: TrackingError[] }>;
  cancelShipment(idempotencyKey: string): Promise<void>;
}

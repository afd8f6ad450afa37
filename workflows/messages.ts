import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { AttentionReason, OrderStatus, OrderStep } from '../domain/lifecycle';
import type { TrackingUpdate } from '../domain/model';
import type { FulfilmentShipment } from '../domain/fulfilment';

// Messages of the orderShipment workflow, defined once here and used by workflows, activities
// (the tracking sweep and webhooks signal), the CLI and tests.

/** Re-run from the step the order is parked in (after someone fixed the data). */
export const retrySignal = defineSignal<[{ by?: string }?]>('retry');
/** Stop the order: void the label at the carrier if one exists, and record that in the ERP. */
export const cancelSignal = defineSignal<[{ reason?: string; by?: string }?]>('cancel');
/** A tracking update for this order's shipment (from the sweep or a webhook). */
export const trackingUpdateSignal = defineSignal<[TrackingUpdate]>('trackingUpdate');

/** A shipment the warehouse system made for this order (from its webhook or the shipment poll). */
export const shipmentNoticeSignal = defineSignal<[FulfilmentShipment]>('shipmentNotice');
/** The ERP order changed (quantities, address) after it was handed to the warehouse: push it again. */
export const orderChangedSignal = defineSignal<[{ version: string }]>('orderChanged');

export interface OrderState {
  status: OrderStatus;
  step: OrderStep;
  erpConnection: string;
  orderKey: string;
  orderNumber: string;
  carrierConnection: string;
  trackingNumber?: string;
  trackingStatus?: string;
  /** UTC ISO-8601 of the last tracking event applied. */
  trackingEventTime?: string;
  attention?: AttentionReason;
  attempts: number;
}

export const statusQuery = defineQuery<OrderState>('status');

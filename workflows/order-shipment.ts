// One workflow per order, ever: id `order/<erp connection>/<erp order key>`. It sets up the run
// (workflows/order/run.ts: state, messages, status records, steps that retry, wait out outages or
// park for a person) and follows one of two lifecycles:
//   label (order/label.ts):         load -> map + validate -> create shipment (idempotent) ->
//                                   write tracking -> track until delivered -> final write
//   warehouse (order/warehouse.ts): load -> submit to the warehouse system (pushed again on ERP
//                                   edits while open) -> each shipment it makes: write tracking +
//                                   take the quantities out of ERP stock -> shipped
// A permanent failure parks the order in needs_attention with the reason until an operator
// signals `retry` (after fixing the data) or `cancel`.
import { upsertSearchAttributes } from '@temporalio/workflow';
import type { ShipmentResult } from '../domain/model';
import type { ErpOrder } from '../domain/order';
import type { ShipmentMappingConfig } from '../domain/shipment-request';
import type { WarehouseRouting } from '../activities/orders/activities';
import type { FulfilmentMode } from '../domain/fulfilment';
import type { OrderState } from './messages';
import { SA_CARRIER, SA_CONNECTION, SA_ERP_ORDER_NUMBER } from './search-attributes';
import { shipWithLabel } from './order/label';
import { OrderRun } from './order/run';
import { fulfilByWarehouse } from './order/warehouse';

export interface OrderShipmentInput {
  erpConnection: string;
  orderKey: string;
  orderNumber: string;
  carrierConnection: string;
  carrier: string;
  /** How the order becomes a label request (label carriers; absent for a warehouse system). */
  routing?: ShipmentMappingConfig;
  /** Where a warehouse ships from and its customs settings (warehouse systems; absent on older runs). */
  warehouse?: WarehouseRouting;
  /** label (default): create the shipment at the carrier; warehouse: hand the order to a warehouse system. */
  mode?: FulfilmentMode;
  /** Days without any tracking update before the order is parked as stalled. */
  stallDays?: number;
  /** Continue as new past this many history events while tracking (default 2000; the server suggests 4096). */
  historyLimit?: number;
  /**
   * When a step's retries run out on a transient failure (the system is down or busy), the order
   * waits on that system and tries again by itself: first after `firstPauseMs` (default 1 min),
   * doubling up to `maxPauseMs` (1 h), for `giveUpAfterMs` (24 h) before it asks a person.
   */
  patience?: { firstPauseMs?: number; maxPauseMs?: number; giveUpAfterMs?: number };
  /** Attempts per ERP or carrier call before its step gives up (default 10, about eight minutes). */
  callAttempts?: number;
  /** Carried over by continue-as-new. */
  resume?: ResumeState;
}

export interface ResumeState {
  order: ErpOrder;
  shipment: ShipmentResult;
  trackingStatus?: string;
  trackingEventTime?: string;
}

export async function orderShipment(input: OrderShipmentInput): Promise<OrderState> {
  const run = new OrderRun(input);
  upsertSearchAttributes([
    { key: SA_CONNECTION, value: input.erpConnection },
    { key: SA_ERP_ORDER_NUMBER, value: input.orderNumber },
    { key: SA_CARRIER, value: input.carrier },
  ]);
  return input.mode === 'warehouse' ? await fulfilByWarehouse(run) : await shipWithLabel(run);
}

// A deliberately broken `orderShipment` for the replay test's self-check: it is registered under
// the same workflow type as the real one but, like a careless edit that reorders two steps, it
// creates the shipment at the carrier before loading the order from the ERP. Replaying a recorded
// order history against it must fail with a DeterminismViolationError; if it ever passes, the
// replay test cannot catch anything. Never registered by a real worker.
import { proxyActivities, upsertSearchAttributes } from '@temporalio/workflow';
import type { OrderActivities } from '../../../activities/orders/activities';
import type { OrderShipmentInput } from '../../../workflows/order-shipment';
import { SA_CARRIER, SA_CONNECTION, SA_ERP_ORDER_NUMBER } from '../../../workflows/search-attributes';

const { carrierCreateShipment } = proxyActivities<OrderActivities>({ startToCloseTimeout: '60 seconds' });

export async function orderShipment(input: OrderShipmentInput): Promise<void> {
  // The same first command as the real workflow...
  upsertSearchAttributes([
    { key: SA_CONNECTION, value: input.erpConnection },
    { key: SA_ERP_ORDER_NUMBER, value: input.orderNumber },
    { key: SA_CARRIER, value: input.carrier },
  ]);
  // ...then a different activity than the history's first one (erpLoadOrder).
  await carrierCreateShipment({
    carrierConnection: input.carrierConnection,
    workflowId: input.orderKey,
    erpConnection: input.erpConnection,
    orderKey: input.orderKey,
    request: {} as Parameters<OrderActivities['carrierCreateShipment']>[0]['request'],
  });
}

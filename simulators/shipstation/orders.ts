import { randomUUID } from 'node:crypto';
import { v1Errors } from './errors';
import {
  LOCKED_STATUSES,
  type InternationalOptions,
  type Json,
  type OrderInput,
  type OrderItem,
  type OrderStatus,
  type StoredOrder,
} from './model';
import { sortBy, type V1Query } from './query';
import type { SimStore } from './store';

export type UpsertResult =
  | { kind: 'created'; order: StoredOrder }
  | { kind: 'updated'; order: StoredOrder; previousStatus: OrderStatus }
  | { kind: 'locked'; order: StoredOrder; message: string };

/**
 * createorder semantics: an orderKey that exists updates that order (whole resource, no partial
 * update); an unknown or missing orderKey creates one. Shipped and cancelled orders are locked.
 */
export class OrderBook {
  constructor(
    private readonly store: SimStore,
    private readonly now: () => number,
    private readonly shipAfterMs: () => number,
  ) {}

  upsert(input: OrderInput, importBatch: string): UpsertResult {
    const existingId = input.orderKey === undefined ? undefined : this.store.ordersByKey.get(input.orderKey);
    const existing = existingId === undefined ? undefined : this.store.orders.get(existingId);
    const now = this.now();
    if (existing) {
      if (LOCKED_STATUSES.includes(existing.orderStatus)) {
        // Simulator choice (the real error is UNCONFIRMED): a ModelState 400 naming the status.
        return {
          kind: 'locked',
          order: existing,
          message: `Order ${existing.orderNumber} is in status '${existing.orderStatus}' and cannot be updated.`,
        };
      }
      const previousStatus = existing.orderStatus;
      const wasAwaiting = previousStatus === 'awaiting_shipment';
      Object.assign(existing, this.fields(input, existing.items, now, existing.extra), {
        modifyDate: now,
        // storeId can only be set when the order is created.
        advancedOptions: { ...input.advancedOptions, storeId: existing.advancedOptions.storeId },
      });
      // Leaving awaiting_payment is an "import" for ORDER_NOTIFY, so the order joins this batch.
      if (previousStatus === 'awaiting_payment' && existing.orderStatus !== 'awaiting_payment')
        existing.importBatch = importBatch;
      this.schedule(existing, wasAwaiting);
      return { kind: 'updated', order: existing, previousStatus };
    }
    const orderId = 100000000 + this.store.next('order');
    const orderKey = input.orderKey ?? randomUUID().replace(/-/g, '');
    const order: StoredOrder = {
      orderId,
      orderKey,
      createDate: now,
      modifyDate: now,
      customerId: this.store.customerIdFor(input.customerEmail ?? input.customerUsername),
      importBatch,
      shipDueAt: null,
      ...this.fields(input, [], now),
      advancedOptions: {
        ...input.advancedOptions,
        storeId: input.advancedOptions.storeId ?? this.store.defaultStore.storeId,
        warehouseId: input.advancedOptions.warehouseId ?? this.store.defaultWarehouse.warehouseId,
      },
    };
    this.store.orders.set(orderId, order);
    this.store.ordersByKey.set(orderKey, orderId);
    this.schedule(order, false);
    return { kind: 'created', order };
  }

  /** The warehouse ships an order `shipAfterSeconds` after it becomes awaiting_shipment. */
  private schedule(order: StoredOrder, wasAwaiting: boolean): void {
    if (order.orderStatus !== 'awaiting_shipment') order.shipDueAt = null;
    else if (!wasAwaiting || order.shipDueAt === null) order.shipDueAt = this.now() + this.shipAfterMs();
  }

  private fields(input: OrderInput, previous: OrderItem[], now: number, previousExtra?: Json) {
    const unused = [...previous];
    const items = input.items.map((item): OrderItem => {
      // An item keeps its id and createDate when its lineItemKey (or else its SKU) is sent again.
      const idx = unused.findIndex((p) =>
        item.lineItemKey ? p.lineItemKey === item.lineItemKey : p.sku !== null && p.sku === item.sku,
      );
      const before = idx >= 0 ? unused.splice(idx, 1)[0] : undefined;
      const product = item.sku
        ? this.store.productFor(item.sku, item.name, item.unitPrice, item.weight)
        : undefined;
      return {
        ...item,
        orderItemId: before?.orderItemId ?? 200000000 + this.store.next('item'),
        productId: product?.productId ?? null,
        createDate: before?.createDate ?? now,
        modifyDate: now,
      };
    });
    return {
      orderNumber: input.orderNumber,
      orderDate: input.orderDate,
      paymentDate: input.paymentDate,
      shipByDate: input.shipByDate,
      shipDate: input.shipDate,
      holdUntilDate: input.holdUntilDate,
      orderStatus: input.orderStatus,
      customerUsername: input.customerUsername,
      customerEmail: input.customerEmail,
      billTo: input.billTo,
      shipTo: input.shipTo,
      items,
      amountPaid: input.amountPaid,
      taxAmount: input.taxAmount,
      shippingAmount: input.shippingAmount,
      extra: { ...input.extra, internationalOptions: this.customs(input.extra, previousExtra) },
      tagIds: input.tagIds,
    };
  }

  /**
   * The full resource replaces the customs lines too. A line sent with a customsItemId the order
   * holds keeps that id (ShipStation updates that line); any other line is new and gets an id.
   */
  private customs(extra: Json, previousExtra: Json | undefined): InternationalOptions | null {
    const intl = extra.internationalOptions as InternationalOptions | null;
    if (!intl) return null;
    const before = previousExtra?.internationalOptions as InternationalOptions | null | undefined;
    const known = new Set((before?.customsItems ?? []).map((c) => c.customsItemId));
    return {
      ...intl,
      customsItems: intl.customsItems.map((c) => ({
        ...c,
        customsItemId:
          c.customsItemId !== null && known.has(c.customsItemId)
            ? c.customsItemId
            : 400000000 + this.store.next('customsItem'),
      })),
    };
  }

  /** GET /orders: the documented filters, plus storeID + importBatch from ORDER_NOTIFY resource URLs. */
  list(q: V1Query): StoredOrder[] {
    const status = q.str('orderStatus');
    const storeId = q.int('storeId');
    const number = q.str('orderNumber')?.toLowerCase();
    const customer = q.str('customerName')?.toLowerCase();
    const keyword = q.str('itemKeyword')?.toLowerCase();
    const batch = q.str('importBatch');
    const inCreate = q.range('createDate');
    const inModify = q.range('modifyDate');
    const inOrder = q.range('orderDate');
    const inPayment = q.range('paymentDate');
    const sort = q.str('sortBy');
    if (sort !== undefined && !['OrderDate', 'ModifyDate', 'CreateDate'].includes(sort)) {
      throw v1Errors.invalid('sortBy', ['sortBy must be OrderDate, ModifyDate or CreateDate.']);
    }
    const matches = [...this.store.orders.values()].filter(
      (o) =>
        (status === undefined || o.orderStatus === status) &&
        (storeId === undefined || o.advancedOptions.storeId === storeId) &&
        // orderNumber is a "starts with" search, not an exact match.
        (number === undefined || o.orderNumber.toLowerCase().startsWith(number)) &&
        (customer === undefined ||
          [o.shipTo.name, o.billTo.name].some((n) =>
            String(n ?? '')
              .toLowerCase()
              .includes(customer),
          )) &&
        (keyword === undefined ||
          o.items.some((i) =>
            [i.sku, i.name, ...i.options.map((x) => x.value)].some((t) =>
              String(t ?? '')
                .toLowerCase()
                .includes(keyword),
            ),
          )) &&
        (batch === undefined || o.importBatch === batch) &&
        inCreate(o.createDate) &&
        inModify(o.modifyDate) &&
        inOrder(o.orderDate) &&
        inPayment(o.paymentDate),
    );
    const key = (o: StoredOrder) =>
      sort === 'OrderDate'
        ? o.orderDate
        : sort === 'ModifyDate'
          ? o.modifyDate
          : sort === 'CreateDate'
            ? o.createDate
            : o.orderId;
    return sortBy(matches, key, (o) => o.orderId, q.sortDir());
  }
}

import type { SeededRandom } from '../shared/random';
import { pounds, type StoredOrder, type Weight } from './model';
import type { SimStore, StoredShipment } from './store';

/** What a carrier's tracking numbers look like, so a connector sees realistic values. */
function trackingNumber(random: SeededRandom, carrierCode: string): string {
  if (carrierCode === 'ups') return `1Z${random.digits(16)}`;
  if (carrierCode === 'stamps_com' || carrierCode === 'usps') return `94${random.digits(20)}`;
  return random.digits(12);
}

/**
 * The "warehouse": ships awaiting_shipment orders when they are due on the simulated clock. Each
 * shipment gets a label (tracking number, carrier, service, cost); the order becomes shipped; the
 * shipped quantities leave ShipStation inventory at the first location that holds each SKU.
 */
export class Warehouse {
  paused = false;

  constructor(
    private readonly store: SimStore,
    private readonly random: SeededRandom,
    private readonly now: () => number,
  ) {}

  /** Orders due by now (or the given ones, due or not), shipped as one batch. */
  run(only?: StoredOrder[]): StoredShipment[] {
    const now = this.now();
    const due =
      only ??
      (this.paused
        ? []
        : [...this.store.orders.values()].filter(
            (o) => o.orderStatus === 'awaiting_shipment' && o.shipDueAt !== null && o.shipDueAt <= now,
          ));
    const open = due.filter((o) => o.orderStatus === 'awaiting_shipment');
    if (open.length === 0) return [];
    const batchId = 50000000 + this.store.next('batch');
    return open.map((order) => this.ship(order, batchId, now));
  }

  private ship(order: StoredOrder, batchId: number, now: number): StoredShipment {
    const carrierCode = String(order.extra.carrierCode ?? 'fedex');
    const serviceCode = String(
      order.extra.serviceCode ?? (carrierCode === 'fedex' ? 'fedex_ground' : `${carrierCode}_ground`),
    );
    const lbs = order.items.reduce((sum, i) => sum + pounds(i.weight) * i.quantity, 0);
    const weight: Weight = (order.extra.weight as Weight | null) ?? {
      value: Math.round(lbs * 16 * 100) / 100,
      units: 'ounces',
    };
    const cost = Math.round((7.5 + Math.max(lbs, 1) * 0.9 + this.random.int(0, 300) / 100) * 100) / 100;
    const shipment: StoredShipment = {
      shipmentId: 60000000 + this.store.next('shipment'),
      orderId: order.orderId,
      orderKey: order.orderKey,
      orderNumber: order.orderNumber,
      userId: (order.extra.userId as string | null) ?? null,
      customerEmail: order.customerEmail,
      storeId: (order.advancedOptions.storeId as number | null) ?? null,
      createDate: now,
      shipDate: now,
      shipmentCost: cost,
      insuranceCost: 0,
      trackingNumber: trackingNumber(this.random, carrierCode),
      batchId,
      batchNumber: String(100000 + (batchId % 100000)),
      carrierCode,
      serviceCode,
      packageCode: String(order.extra.packageCode ?? 'package'),
      confirmation: String(order.extra.confirmation ?? 'none'),
      warehouseId: (order.advancedOptions.warehouseId as number | null) ?? null,
      voided: false,
      voidDate: null,
      shipTo: { ...order.shipTo },
      weight,
      advancedOptions: { ...order.advancedOptions },
      items: order.items.filter((i) => !i.adjustment).map((i) => ({ ...i })),
    };
    this.store.shipments.set(shipment.shipmentId, shipment);
    order.orderStatus = 'shipped';
    order.shipDate = now;
    order.shipDueAt = null;
    order.modifyDate = now;
    for (const item of shipment.items) if (item.sku) this.takeStock(item.sku, item.quantity);
    return shipment;
  }

  private takeStock(sku: string, quantity: number): void {
    for (const skus of this.store.stock.values()) {
      const line = skus.get(sku);
      if (line && line.onHand > 0) {
        line.onHand = Math.max(0, line.onHand - quantity);
        return;
      }
    }
  }
}

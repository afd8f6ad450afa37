import type { Json, OrderItem, StoredOrder, Weight } from './model';

export interface StoredShipment {
  shipmentId: number;
  orderId: number;
  orderKey: string;
  orderNumber: string;
  userId: string | null;
  customerEmail: string | null;
  storeId: number | null;
  createDate: number;
  shipDate: number;
  shipmentCost: number;
  insuranceCost: number;
  trackingNumber: string;
  batchId: number;
  batchNumber: string;
  carrierCode: string;
  serviceCode: string;
  packageCode: string;
  confirmation: string;
  warehouseId: number | null;
  voided: boolean;
  voidDate: number | null;
  shipTo: Json;
  weight: Weight;
  advancedOptions: Json;
  items: OrderItem[];
}

export interface StoredFulfillment {
  fulfillmentId: number;
  orderId: number;
  orderNumber: string;
  userId: string | null;
  customerEmail: string | null;
  trackingNumber: string | null;
  createDate: number;
  shipDate: number;
  carrierCode: string;
  shipTo: Json;
  notifyCustomer: boolean;
  notifySalesChannel: boolean;
}

export interface StoredStore {
  storeId: number;
  storeName: string;
  marketplaceId: number;
  marketplaceName: string;
  active: boolean;
  createDate: number;
}

export interface StoredWarehouse {
  warehouseId: number;
  warehouseName: string;
  originAddress: Json;
  returnAddress: Json;
  createDate: number;
  isDefault: boolean;
}

export interface StoredProduct {
  productId: number;
  sku: string;
  name: string;
  price: number;
  weight: Weight | null;
  active: boolean;
  createDate: number;
  modifyDate: number;
}

export interface V1Webhook {
  id: number;
  targetUrl: string;
  event: string;
  storeId: number | null;
  friendlyName: string | null;
}

export interface V2Webhook {
  webhookId: string;
  url: string;
  event: string;
  headers: { key: string; value: string }[];
}

export interface InventoryWarehouse {
  id: string;
  name: string;
  createdAt: number;
  updatedAt: number;
}

export interface InventoryLocation extends InventoryWarehouse {
  warehouseId: string;
}

export interface StockLine {
  onHand: number;
  cost: { amount: number; currency: string } | null;
}

type Sequence =
  | 'order'
  | 'item'
  | 'customsItem'
  | 'shipment'
  | 'fulfillment'
  | 'product'
  | 'customer'
  | 'webhook'
  | 'batch'
  | 'se';

const ORIGIN: Json = {
  name: 'Shipping Dept',
  company: 'ML Demo Manufacturing',
  street1: '100 Industrial Way',
  street2: null,
  street3: null,
  city: 'Memphis',
  state: 'TN',
  postalCode: '38118',
  country: 'US',
  phone: '9015550100',
  residential: false,
};

/** Everything the simulator remembers; `reset()` goes back to the seed. */
export class SimStore {
  orders = new Map<number, StoredOrder>();
  ordersByKey = new Map<string, number>();
  shipments = new Map<number, StoredShipment>();
  fulfillments = new Map<number, StoredFulfillment>();
  stores: StoredStore[] = [];
  warehouses: StoredWarehouse[] = [];
  products = new Map<string, StoredProduct>();
  v1Webhooks = new Map<number, V1Webhook>();
  v2Webhooks = new Map<string, V2Webhook>();
  inventoryWarehouses = new Map<string, InventoryWarehouse>();
  inventoryLocations = new Map<string, InventoryLocation>();
  /** location id -> sku -> stock. */
  stock = new Map<string, Map<string, StockLine>>();
  private readonly seq = new Map<Sequence, number>();
  private customers = new Map<string, number>();

  constructor(
    private readonly seedInventory: Record<string, number>,
    private readonly now: () => number,
  ) {
    this.seed();
  }

  next(kind: Sequence): number {
    const n = (this.seq.get(kind) ?? 0) + 1;
    this.seq.set(kind, n);
    return n;
  }

  /** A V2-style id (`se-<n>`) for resources that exist only in V2. */
  seId(): string {
    return `se-${900000 + this.next('se')}`;
  }

  customerIdFor(key: string | null): number | null {
    if (!key) return null;
    let id = this.customers.get(key);
    if (id === undefined) {
      id = 70000000 + this.next('customer');
      this.customers.set(key, id);
    }
    return id;
  }

  get defaultStore(): StoredStore {
    return this.stores[0]!;
  }

  get defaultWarehouse(): StoredWarehouse {
    return this.warehouses.find((w) => w.isDefault) ?? this.warehouses[0]!;
  }

  get defaultLocationId(): string {
    return [...this.inventoryLocations.keys()][0]!;
  }

  /** The product for a SKU, created on first sight as ShipStation does for imported order items. */
  productFor(sku: string, name: string, price: number, weight: Weight | null): StoredProduct {
    let product = this.products.get(sku);
    if (!product) {
      const at = this.now();
      product = {
        productId: 30000000 + this.next('product'),
        sku,
        name,
        price,
        weight,
        active: true,
        createDate: at,
        modifyDate: at,
      };
      this.products.set(sku, product);
    }
    return product;
  }

  stockAt(locationId: string, sku: string): StockLine {
    let skus = this.stock.get(locationId);
    if (!skus) {
      skus = new Map();
      this.stock.set(locationId, skus);
    }
    let line = skus.get(sku);
    if (!line) {
      line = { onHand: 0, cost: null };
      skus.set(sku, line);
    }
    return line;
  }

  reset(): void {
    for (const map of [
      this.orders,
      this.ordersByKey,
      this.shipments,
      this.fulfillments,
      this.products,
      this.v1Webhooks,
      this.v2Webhooks,
      this.inventoryWarehouses,
      this.inventoryLocations,
      this.stock,
      this.customers,
      this.seq,
    ]) {
      map.clear();
    }
    this.seed();
  }

  private seed(): void {
    const at = this.now();
    this.stores = [
      {
        storeId: 310001,
        storeName: 'Manual Orders',
        marketplaceId: 0,
        marketplaceName: 'ShipStation',
        active: true,
        createDate: at,
      },
    ];
    this.warehouses = [
      {
        warehouseId: 410001,
        warehouseName: 'Main Warehouse',
        originAddress: { ...ORIGIN },
        returnAddress: { ...ORIGIN },
        createDate: at,
        isDefault: true,
      },
    ];
    const warehouse: InventoryWarehouse = {
      id: this.seId(),
      name: 'Main Warehouse',
      createdAt: at,
      updatedAt: at,
    };
    this.inventoryWarehouses.set(warehouse.id, warehouse);
    const location: InventoryLocation = {
      id: this.seId(),
      name: 'A-01',
      warehouseId: warehouse.id,
      createdAt: at,
      updatedAt: at,
    };
    this.inventoryLocations.set(location.id, location);
    for (const [sku, qty] of Object.entries(this.seedInventory)) this.stockAt(location.id, sku).onHand = qty;
  }
}

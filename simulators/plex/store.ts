import { InventoryData } from './inventory';
import type {
  Customer,
  CustomerAddress,
  OrderLine,
  Part,
  PartShippingDetails,
  Release,
  SalesOrder,
  Shipper,
  ShipperLine,
} from './wire';

/** What makes a seeded order invalid, and what `fixOrder` needs to repair it. */
export type Defect =
  | { kind: 'postal_code'; addressId: string; goodZip: string }
  | { kind: 'country'; addressId: string; goodCountry: string }
  | { kind: 'weight'; partId: string; weight: number; unit: string };

export type DefectKind = Defect['kind'];

/** The test-facing summary of one seeded order. */
export interface SeededOrder {
  /** The sales order id: the order key a connector uses. */
  orderKey: string;
  orderNumber: string;
  tenantId: string;
  customerId: string;
  shipToAddressId: string;
  shipperId: string;
  country: string;
  shipVia: string;
  /** Why the order cannot ship as it is; undefined for a valid order. */
  invalid?: DefectKind;
  fixed: boolean;
}

export interface Carrier {
  id: string;
  code: string;
  name: string;
}

/** One tenant's (PCN's) data. Records are kept in the spec's shapes and returned as copies. */
export class TenantData {
  readonly orders = new Map<string, SalesOrder>();
  readonly lines = new Map<string, OrderLine>();
  readonly releases = new Map<string, Release>();
  readonly customers = new Map<string, Customer>();
  /** Address id -> address; `addressOwner` gives its customer. */
  readonly addresses = new Map<string, CustomerAddress>();
  readonly addressOwner = new Map<string, string>();
  readonly parts = new Map<string, Part>();
  readonly partShipping = new Map<string, PartShippingDetails>();
  readonly shippers = new Map<string, Shipper>();
  readonly shipperLines = new Map<string, ShipperLine>();
  readonly seeded = new Map<string, SeededOrder>();
  readonly defects = new Map<string, Defect>();
  /** Active containers and inventory shipments. */
  readonly inventory: InventoryData;
  /** Part catalog built by the first seed batch: part id per catalog index. */
  readonly catalog: string[] = [];
  batches = 0;
  nextOrderNumber = 100001;
  nextShipperNumber = 500001;
  nextCustomerNumber = 1001;
  private lastStamp = 0;

  constructor(
    readonly id: string,
    readonly code: string,
    readonly pcn: string,
    readonly carrier: Carrier,
    readonly building: { id: string; code: string },
    private readonly now: () => number,
  ) {
    this.inventory = new InventoryData(id);
  }

  /**
   * A modifiedDate for a write: never equal to the previous one, so every write is visible to a
   * poll that compares modifiedDate values, even two writes in the same millisecond.
   */
  stamp(): string {
    this.lastStamp = Math.max(this.now(), this.lastStamp + 1);
    return new Date(this.lastStamp).toISOString();
  }

  addressesOf(customerId: string): CustomerAddress[] {
    return [...this.addresses.values()].filter((a) => this.addressOwner.get(a.id) === customerId);
  }

  linesOf(orderId: string): OrderLine[] {
    return [...this.lines.values()].filter((l) => l.orderId === orderId);
  }

  releasesOf(orderId: string): Release[] {
    const lineIds = new Set(this.linesOf(orderId).map((l) => l.id));
    return [...this.releases.values()].filter((r) => lineIds.has(r.orderLineId));
  }

  shipperLinesOf(shipperId: string): ShipperLine[] {
    return [...this.shipperLines.values()].filter((l) => l.shipperId === shipperId);
  }

  /** Resolve an order key (sales order id) or order number to the seeded summary. */
  findSeeded(orderKeyOrNumber: string): SeededOrder | undefined {
    const direct = this.seeded.get(orderKeyOrNumber);
    if (direct) return direct;
    return [...this.seeded.values()].find((s) => s.orderNumber === orderKeyOrNumber);
  }
}

/** A deep copy, so callers never hold the simulator's own records. */
export function copy<T>(value: T): T {
  return structuredClone(value);
}

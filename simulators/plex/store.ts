import { InventoryData } from './inventory';
import type {
  Customer,
  CustomerAddress,
  OrderLine,
  OrderLinePrice,
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
  | { kind: 'weight'; partId: string; weight: number; unit: string }
  | { kind: 'hs_code'; partId: string; hsCode: string };

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

/** Records of one map grouped by a key, and each record's place in the map (see TenantData.group). */
interface GroupIndex<T> {
  size: number;
  groups: Map<string, T[]>;
  position: Map<T, number>;
}

/** One tenant's (PCN's) data. Records are kept in the spec's shapes and returned as copies. */
export class TenantData {
  readonly orders = new Map<string, SalesOrder>();
  readonly lines = new Map<string, OrderLine>();
  /** Price records of order lines, by price id. */
  readonly linePrices = new Map<string, OrderLinePrice>();
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
  private readonly indexes = new Map<string, GroupIndex<unknown>>();

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
    return this.group('addresses', this.addresses, (a) => this.addressOwner.get(a.id), [customerId]);
  }

  linesOf(orderId: string): OrderLine[] {
    return this.group('lines', this.lines, (l) => l.orderId, [orderId]);
  }

  pricesOfLine(lineId: string): OrderLinePrice[] {
    return this.group('linePrices', this.linePrices, (p) => p.orderLineId, [lineId]);
  }

  releasesOf(orderId: string): Release[] {
    return this.releasesOfLines(this.linesOf(orderId).map((l) => l.id));
  }

  releasesOfLines(lineIds: readonly string[]): Release[] {
    return this.group('releases', this.releases, (r) => r.orderLineId, lineIds);
  }

  shipperLinesOf(shipperId: string): ShipperLine[] {
    return this.group('shipperLines', this.shipperLines, (l) => l.shipperId, [shipperId]);
  }

  shippersOf(customerIds: readonly string[]): Shipper[] {
    return this.group('shippers', this.shippers, (s) => s.customerId, customerIds);
  }

  /**
   * The records of `map` whose key is one of `keys`, in the map's order. Served from an index
   * built on first use and again whenever the map has grown: records are only ever added, never
   * removed or replaced, and the ids they are grouped by never change, so an index of the same size
   * is current. Without it each read scanned every record of the tenant, a cost that grew with
   * every order seeded.
   */
  private group<T>(
    name: string,
    map: Map<string, T>,
    keyOf: (record: T) => string | null | undefined,
    keys: readonly string[],
  ): T[] {
    let index = this.indexes.get(name) as GroupIndex<T> | undefined;
    if (!index || index.size !== map.size) {
      index = { size: map.size, groups: new Map(), position: new Map() };
      let i = 0;
      for (const record of map.values()) {
        index.position.set(record, i++);
        const key = keyOf(record);
        if (key === null || key === undefined) continue;
        const group = index.groups.get(key);
        if (group) group.push(record);
        else index.groups.set(key, [record]);
      }
      this.indexes.set(name, index);
    }
    const found = [...new Set(keys)].flatMap((k) => index.groups.get(k) ?? []);
    if (keys.length > 1) found.sort((a, b) => index.position.get(a)! - index.position.get(b)!);
    return found;
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

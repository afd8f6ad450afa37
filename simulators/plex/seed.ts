import { createHash } from 'node:crypto';
import { DEFAULT_SEED, SeededRandom } from '../shared/random';
import { COUNTRIES, UNKNOWN_COUNTRY, badZip, generateAddress } from './addresses';
import type { DefectKind, SeededOrder, TenantData } from './store';
import type { OrderLine, OrderLinePrice, Release, Shipper, ShipperLine } from './wire';

export interface SeedOptions {
  /** Same seed (and the same earlier calls on the tenant) -> the same orders. Default DEFAULT_SEED. */
  seed?: number;
  /** Share (0..1) of orders a connector must refuse before any carrier call. Default 0.08. */
  invalidShare?: number;
  /**
   * Also stock the containers each seeded release needs, so shipping every order never runs out
   * (long runs: chaos, benchmark). Default false: each part keeps its CONTAINERS_PER_PART.
   */
  stockToCover?: boolean;
  /**
   * Number the batch's orders from here on (when above the tenant's next number), so batches seeded
   * by separate simulator runs (the demo, once per run on one data folder) never share a number.
   */
  firstOrderNumber?: number;
}

/** Ship-via codes the demo configuration maps to FedEx services. */
export const SHIP_VIA = ['FDX-GROUND', 'FDX-2DAY', 'FDX-OVERNIGHT'] as const;

/** Seeded states that mean "ready to ship" (see README: the connector's default). */
export const READY = { orderStatus: 'Open', releaseStatus: 'Open', shipperStatus: 'Open' } as const;

// In this order: callers that seed one or two invalid orders rely on the first two (address
// defects, which every shipping path refuses).
const DEFECTS: DefectKind[] = ['postal_code', 'country', 'weight', 'hs_code'];

/**
 * The shipper's country: the demo mapping ships from Memphis, US (connectors/demo-config.ts). An
 * order to another country needs customs, so only those can lack an HS code.
 */
export const SHIPPER_COUNTRY = 'US';
const DAY = 86_400_000;

// Country mix of the seeded customers: mostly North America, some Europe.
const COUNTRY_WEIGHTS: [string, number][] = [
  ['US', 35],
  ['CA', 15],
  ['MX', 10],
  ['GB', 10],
  ['DE', 10],
  ['NL', 10],
  ['FR', 10],
];

interface CatalogPart {
  number: string;
  name: string;
  weight: number;
  unit: string;
  pack: number;
  dims: [number, number, number];
  /** HS code as a US plant keeps it (the 10-digit HTSUS number). */
  hsCode: string;
  /** Unit price in USD on the plant's sales order lines. */
  price: number;
}

// Piece weights in the units a US plant (lbs) or a metric plant (kg) would record.
const CATALOG: CatalogPart[] = [
  {
    number: 'BRK-1001',
    name: 'Mounting bracket, steel',
    weight: 0.85,
    unit: 'lbs',
    pack: 20,
    dims: [16, 12, 8],
    hsCode: '7326.90.8688',
    price: 4.85,
  },
  {
    number: 'HSG-2040',
    name: 'Pump housing, aluminium',
    weight: 3.4,
    unit: 'lbs',
    pack: 4,
    dims: [18, 14, 12],
    hsCode: '8413.91.9095',
    price: 38.5,
  },
  {
    number: 'GSK-0310',
    name: 'Gasket set',
    weight: 0.12,
    unit: 'lbs',
    pack: 50,
    dims: [10, 8, 4],
    hsCode: '8484.10.0000',
    price: 2.15,
  },
  {
    number: 'SHF-7755',
    name: 'Drive shaft 320 mm',
    weight: 1.9,
    unit: 'kg',
    pack: 6,
    dims: [40, 12, 12],
    hsCode: '8483.10.5000',
    price: 64.0,
  },
  {
    number: 'VLV-5020',
    name: 'Check valve DN25',
    weight: 0.7,
    unit: 'kg',
    pack: 10,
    dims: [30, 20, 15],
    hsCode: '8481.30.2000',
    price: 27.4,
  },
  {
    number: 'CVR-3300',
    name: 'Injection-moulded cover',
    weight: 0.3,
    unit: 'lbs',
    pack: 40,
    dims: [20, 16, 10],
    hsCode: '3926.90.9985',
    price: 3.1,
  },
  {
    number: 'FLT-8890',
    name: 'Hydraulic filter element',
    weight: 0.55,
    unit: 'kg',
    pack: 12,
    dims: [25, 25, 20],
    hsCode: '8421.99.0040',
    price: 12.75,
  },
  {
    number: 'CBL-4412',
    name: 'Wire harness assembly',
    weight: 1.1,
    unit: 'lbs',
    pack: 10,
    dims: [14, 14, 6],
    hsCode: '8544.30.0000',
    price: 18.9,
  },
];

/** Part numbers of the demo catalogue: the SKUs a warehouse system sees for seeded orders. */
export const CATALOG_PART_NUMBERS: readonly string[] = CATALOG.map((p) => p.number);

/** A UUID v4 from the seeded generator, so ids are reproducible. */
export function seededUuid(random: SeededRandom): string {
  let hex = '';
  for (let i = 0; i < 32; i++) hex += random.int(0, 15).toString(16);
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20)}`;
}

/** A UUID v4 shape derived from `text`, for records whose ids must not draw from the seeded sequence. */
function derivedUuid(text: string): string {
  const hex = createHash('sha256').update(text).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function weightedCountry(random: SeededRandom): string {
  const total = COUNTRY_WEIGHTS.reduce((n, [, w]) => n + w, 0);
  let roll = random.int(1, total);
  for (const [code, w] of COUNTRY_WEIGHTS) {
    roll -= w;
    if (roll <= 0) return code;
  }
  return 'US';
}

/** Which of `n` orders get which defect: exactly round(n * share), every kind before any repeats. */
function pickDefects(random: SeededRandom, n: number, share: number): Map<number, DefectKind> {
  const count = Math.round(n * share);
  const positions = Array.from({ length: n }, (_, i) => i);
  for (let i = positions.length - 1; i > 0; i--) {
    const j = random.int(0, i);
    [positions[i], positions[j]] = [positions[j]!, positions[i]!];
  }
  return new Map(positions.slice(0, count).map((p, i) => [p, DEFECTS[i % DEFECTS.length]!]));
}

/**
 * Receive at least `quantity` of a catalog part into stock, in full containers of its pack (a test
 * that needs stock for an edit builds it instead of hoping the seeded data has it).
 */
export function receiveStock(data: TenantData, partNumber: string, quantity: number): void {
  const item = CATALOG.find((c) => c.number === partNumber);
  const part = data.catalog.map((id) => data.parts.get(id)!).find((p) => p.number === partNumber);
  if (!item || !part) throw new RangeError(`no catalog part ${partNumber} in this tenant`);
  if (!(Number.isFinite(quantity) && quantity > 0)) throw new RangeError('quantity must be positive');
  data.inventory.stockPart(part, item.pack, data.stamp(), Math.ceil(quantity / item.pack));
}

function ensureCatalog(data: TenantData, random: SeededRandom, stamp: string): void {
  if (data.catalog.length > 0) return;
  for (const item of CATALOG) data.catalog.push(addPart(data, random, item, stamp, true));
}

function addPart(
  data: TenantData,
  random: SeededRandom,
  item: CatalogPart,
  stamp: string,
  withWeight: boolean,
  withHsCode = true,
) {
  const id = seededUuid(random);
  data.parts.set(id, {
    id,
    number: item.number,
    name: item.name,
    revision: 'A',
    description: item.name,
    type: 'Finished Good',
    status: 'Production',
    source: 'Manufactured',
    buildingCode: data.building.code,
    createdDate: stamp,
    modifiedDate: stamp,
  });
  data.partShipping.set(id, {
    partId: id,
    partNumber: item.number,
    partRevision: 'A',
    partNumberRevision: `${item.number}-A`,
    containerType: 'Carton',
    ...(withWeight ? { partPieceWeight: item.weight, weightUnit: item.unit } : {}),
    cubeLength: item.dims[0],
    cubeWidth: item.dims[1],
    cubeHeight: item.dims[2],
    ...(withHsCode ? { harmonizedTariffCode: item.hsCode } : {}),
    hazardous: false,
  });
  data.inventory.stockPart(data.parts.get(id)!, item.pack, stamp);
  return id;
}

/**
 * Add `n` ready-to-ship orders to a tenant: customers, a ship-to address per order, order lines,
 * releases (the quantities) and an open customer shipper without a tracking number per order.
 */
export function seedOrders(data: TenantData, n: number, opts: SeedOptions = {}): SeededOrder[] {
  if (!Number.isInteger(n) || n < 0 || n > 100_000)
    throw new RangeError('order count must be an integer 0..100000');
  const share = opts.invalidShare ?? 0.08;
  if (!(share >= 0 && share <= 1)) throw new RangeError('invalidShare must be between 0 and 1');
  // A second batch on the same tenant continues from different numbers, so ids never collide.
  const random = new SeededRandom(((opts.seed ?? DEFAULT_SEED) + data.batches * 0x9e3779b9) >>> 0);
  data.batches++;
  if (opts.firstOrderNumber !== undefined) {
    if (!Number.isSafeInteger(opts.firstOrderNumber) || opts.firstOrderNumber < 1)
      throw new RangeError('firstOrderNumber must be a positive integer');
    data.nextOrderNumber = Math.max(data.nextOrderNumber, opts.firstOrderNumber);
  }
  const now = Date.parse(data.stamp());
  const stamp = new Date(now).toISOString();
  const iso = (offsetMs: number) => new Date(now + offsetMs).toISOString();
  ensureCatalog(data, random, stamp);

  const customerIds: string[] = [];
  const customerCountry = new Map<string, string>();
  // About four orders per customer, and at least one customer per country while n allows.
  const customerCount = Math.max(1, Math.ceil(n / 4), Math.min(n, COUNTRY_WEIGHTS.length));
  for (let i = 0; i < customerCount; i++) {
    const id = seededUuid(random);
    const country = COUNTRY_WEIGHTS[i]?.[0] ?? weightedCountry(random);
    const number = data.nextCustomerNumber++;
    data.customers.set(id, {
      id,
      code: `C${number}`,
      name: `${pickName(random)} ${LEGAL_SUFFIX[country] ?? ''}`.trim(),
      status: 'Active',
      type: 'Customer',
      phone: COUNTRIES[country]!.phone(random),
      email: `shipping@c${number}.example.com`,
      defaultCarrierIds: [data.carrier.id],
      createdDate: stamp,
      modifiedDate: stamp,
    });
    customerIds.push(id);
    customerCountry.set(id, country);
  }

  const defects = pickDefects(random, n, share);
  // Orders after position i without a defect: where an HS-code defect drawn for a domestic order
  // can still go (see below).
  const freeAfter: number[] = new Array<number>(n).fill(0);
  for (let i = n - 2; i >= 0; i--) freeAfter[i] = freeAfter[i + 1]! + (defects.has(i + 1) ? 0 : 1);
  let pendingHsCode = 0;
  const out: SeededOrder[] = [];
  for (let i = 0; i < n; i++) {
    // Every customer gets an order before any gets a second, so every country is shipped to.
    const customerId = customerIds[i < customerIds.length ? i : random.int(0, customerIds.length - 1)]!;
    const customer = data.customers.get(customerId)!;
    const country = customerCountry.get(customerId)!;
    let defect = defects.get(i);
    // A domestic order needs no HS code: its HS-code defect moves to the next international order
    // without one; the last chance to place it, if domestic too, gets a missing weight instead, so
    // the count stays exactly round(n * share).
    const domestic = country === SHIPPER_COUNTRY;
    if (defect === 'hs_code' && domestic) {
      if (freeAfter[i]! > pendingHsCode) {
        pendingHsCode++;
        defect = undefined;
      } else defect = 'weight';
    } else if (!defect && pendingHsCode > 0 && (!domestic || freeAfter[i]! < pendingHsCode)) {
      pendingHsCode--;
      defect = domestic ? 'weight' : 'hs_code';
    }
    const orderNumber = String(data.nextOrderNumber++);

    const addressId = seededUuid(random);
    const generated = generateAddress(random, country);
    data.addresses.set(addressId, {
      id: addressId,
      code: `${customer.code}-${orderNumber}`,
      name: customer.name,
      ...generated,
      shipTo: true,
      billTo: false,
      active: true,
      createdDate: stamp,
      modifiedDate: stamp,
    });
    data.addressOwner.set(addressId, customerId);
    const address = data.addresses.get(addressId)!;
    if (defect === 'postal_code') {
      data.defects.set(addressId, { kind: 'postal_code', addressId, goodZip: address.zip });
      address.zip = badZip(country, address.zip);
    } else if (defect === 'country') {
      data.defects.set(addressId, { kind: 'country', addressId, goodCountry: country });
      address.country = UNKNOWN_COUNTRY;
    }

    const orderId = seededUuid(random);
    const shipVia = SHIP_VIA[random.int(0, SHIP_VIA.length - 1)]!;
    data.orders.set(orderId, {
      id: orderId,
      customerId,
      orderNumber,
      poNumber: `PO-${random.digits(6)}`,
      status: READY.orderStatus,
      type: 'Firm',
      category: 'Standard',
      terms: 'Net 30',
      fob: 'Origin',
      freightTerms: 'Prepaid',
      orderDate: iso(-random.int(1, 10) * DAY),
      billToAddressId: addressId,
      shipToAddressId: addressId,
      carrierId: data.carrier.id,
      carrier: shipVia,
      buildingId: data.building.id,
      createdDate: stamp,
      modifiedDate: stamp,
      multipleDocksPerShipper: false,
      multiplePOPerShipper: false,
    });

    const shipperId = seededUuid(random);
    const lineCount = random.int(1, 3);
    const catalogPicks = new Set<number>();
    while (catalogPicks.size < lineCount) catalogPicks.add(random.int(0, CATALOG.length - 1));
    let lineNo = 0;
    for (const index of catalogPicks) {
      const item = CATALOG[index]!;
      let partId = data.catalog[index]!;
      // A missing weight or HS code gets its own part, so repairing it cannot change another order.
      if (defect === 'weight' && lineNo === 0) {
        partId = addPart(data, random, { ...item, number: `${item.number}-X${orderNumber}` }, stamp, false);
        data.defects.set(partId, { kind: 'weight', partId, weight: item.weight, unit: item.unit });
      } else if (defect === 'hs_code' && lineNo === 0) {
        const number = `${item.number}-H${orderNumber}`;
        partId = addPart(data, random, { ...item, number }, stamp, true, false);
        data.defects.set(partId, { kind: 'hs_code', partId, hsCode: item.hsCode });
      }
      lineNo++;
      const line: OrderLine = {
        id: seededUuid(random),
        orderId,
        partId,
        lineNumber: String(lineNo),
        containerType: 'Carton',
        standardPackQuantity: item.pack,
        active: true,
        createdDate: stamp,
        modifiedDate: stamp,
      };
      data.lines.set(line.id, line);
      const price: OrderLinePrice = {
        // Derived from the line's id, not drawn: prices leave the seeded sequence as it was.
        id: derivedUuid(`price:${line.id}`),
        orderLineId: line.id,
        effectiveDate: iso(-30 * DAY),
        breakpointQuantity: 0,
        price: item.price,
        active: true,
        unit: 'Ea',
        currencyCode: 'USD',
        primaryPrice: true,
        createdDate: stamp,
        modifiedDate: stamp,
      };
      data.linePrices.set(price.id, price);
      const quantity = item.pack * random.int(1, 4);
      const release: Release = {
        id: seededUuid(random),
        releaseNumber: `${orderNumber}-${lineNo}`,
        orderLineId: line.id,
        type: 'Ship Schedule',
        shipToAddressId: addressId,
        // Due now: ship date today (UTC) at the latest, due within the next days.
        shipDate: iso(-random.int(0, 12) * 3_600_000),
        dueDate: iso(random.int(1, 5) * DAY),
        quantity,
        status: READY.releaseStatus,
        quantityShipped: 0,
        orderQuantity: quantity,
        partNumber: data.parts.get(partId)!.number,
        shipFrom: data.building.code,
        createdDate: stamp,
        modifiedDate: stamp,
      };
      data.releases.set(release.id, release);
      if (opts.stockToCover) {
        data.inventory.stockPart(data.parts.get(partId)!, item.pack, stamp, Math.ceil(quantity / item.pack));
      }
      const shipperLine: ShipperLine = {
        id: seededUuid(random),
        shipperId,
        partId,
        quantity,
        releaseId: release.id,
        packingComplete: true,
      };
      data.shipperLines.set(shipperLine.id, shipperLine);
    }

    const shipper: Shipper = {
      id: shipperId,
      shipperNumber: `S${data.nextShipperNumber++}`,
      customerId,
      customerAddressId: addressId,
      status: READY.shipperStatus,
      carrierId: data.carrier.id,
      freightTerms: 'Prepaid',
      scheduledShipDate: iso(0),
      shipFromCode: data.building.code,
      createdDate: stamp,
      modifiedDate: stamp,
    };
    data.shippers.set(shipperId, shipper);

    const summary: SeededOrder = {
      orderKey: orderId,
      orderNumber,
      tenantId: data.id,
      customerId,
      shipToAddressId: addressId,
      shipperId,
      country,
      shipVia,
      ...(defect ? { invalid: defect } : {}),
      fixed: false,
    };
    data.seeded.set(orderId, summary);
    out.push({ ...summary });
  }
  return out;
}

const NAMES = [
  'Acme Industrial',
  'Northwind Components',
  'Helix Fluid Systems',
  'Summit Assembly',
  'Orion Motion',
  'Vega Tooling',
  'Atlas Hydraulics',
  'Beacon Controls',
];

const LEGAL_SUFFIX: Record<string, string> = {
  US: 'Inc.',
  CA: 'Ltd.',
  MX: 'S.A. de C.V.',
  GB: 'Ltd',
  DE: 'GmbH',
  NL: 'B.V.',
  FR: 'SAS',
};

function pickName(random: SeededRandom): string {
  return NAMES[random.int(0, NAMES.length - 1)]!;
}

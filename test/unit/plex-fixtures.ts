// Plex records in the spec's shapes, for the Plex connector's unit and contract tests.

import type { Address } from '../../domain/model';
import type { PlexOrderParts } from '../../connectors/plex/mapping';
import type {
  PlexCustomer,
  PlexCustomerAddress,
  PlexCustomerShipper,
  PlexOrder,
  PlexOrderLine,
  PlexOrderLinePrice,
  PlexPart,
  PlexRelease,
} from '../../connectors/plex/wire';

export const IDS = {
  order: '11111111-1111-4111-8111-111111111111',
  customer: '22222222-2222-4222-8222-222222222222',
  address: '33333333-3333-4333-8333-333333333333',
  line1: '44444444-4444-4444-8444-444444444441',
  line2: '44444444-4444-4444-8444-444444444442',
  rel1a: '55555555-5555-4555-8555-555555555511',
  rel1b: '55555555-5555-4555-8555-555555555512',
  rel2: '55555555-5555-4555-8555-555555555521',
  part1: '66666666-6666-4666-8666-666666666661',
  part2: '66666666-6666-4666-8666-666666666662',
  shipper: '77777777-7777-4777-8777-777777777777',
  carrier: '88888888-8888-4888-8888-888888888888',
} as const;

export const ORDER: PlexOrder = {
  id: IDS.order,
  customerId: IDS.customer,
  orderNumber: '100123',
  poNumber: 'PO-555',
  status: 'Open',
  shipToAddressId: IDS.address,
  carrierId: IDS.carrier,
  carrier: 'FDX-GROUND',
  modifiedDate: '2026-11-20T10:00:00Z',
};

export const LINES: PlexOrderLine[] = [
  { id: IDS.line1, orderId: IDS.order, partId: IDS.part1, lineNumber: '1', active: true },
  { id: IDS.line2, orderId: IDS.order, partId: IDS.part2, lineNumber: '2', active: true },
];

export const RELEASES: PlexRelease[] = [
  // Line 1: two releases, one partly shipped.
  {
    id: IDS.rel1a,
    orderLineId: IDS.line1,
    quantity: 10,
    quantityShipped: 4,
    status: 'Open',
    shipDate: '2026-11-22T08:00:00Z',
    shipToAddressId: IDS.address,
  },
  {
    id: IDS.rel1b,
    orderLineId: IDS.line1,
    quantity: 5,
    quantityShipped: 0,
    status: 'Open',
    shipDate: '2026-11-21T08:00:00Z',
    shipToAddressId: IDS.address,
  },
  // Line 2: one open release and one already shipped (ignored).
  {
    id: IDS.rel2,
    orderLineId: IDS.line2,
    quantity: 3,
    quantityShipped: 0,
    status: 'Open',
    shipDate: '2026-11-23T08:00:00Z',
    shipToAddressId: IDS.address,
  },
  {
    id: '55555555-5555-4555-8555-555555555599',
    orderLineId: IDS.line2,
    quantity: 7,
    quantityShipped: 7,
    status: 'Shipped',
  },
];

export const CUSTOMER: PlexCustomer = {
  id: IDS.customer,
  code: 'C100',
  name: 'Acme Industries LLC',
  phone: '+1 901 555 0100',
};

export const ADDRESS: PlexCustomerAddress = {
  id: IDS.address,
  name: 'Receiving Dock 4',
  address: '1200 Industrial Pkwy\nBuilding B',
  city: 'Memphis',
  state: 'tn',
  zip: '38118',
  country: 'United States',
  shipTo: true,
  active: true,
};

export const PARTS: PlexPart[] = [
  {
    id: IDS.part1,
    number: 'BRK-1001',
    name: 'Mounting bracket',
    pieceWeight: { value: 2, unit: 'lbs' },
    hsCode: '7326.90.8688',
  },
  {
    id: IDS.part2,
    number: 'SHF-7755',
    name: 'Drive shaft',
    pieceWeight: { value: 1.5, unit: 'kg' },
    hsCode: '8483.10.5000',
  },
];

/**
 * The lines' price records: line 1 has an expired price, a quantity break it does not reach (it
 * ships 11) and the price in effect; line 2 one price in euros.
 */
export const LINE_PRICES: PlexOrderLinePrice[] = [
  {
    id: '12121212-1212-4121-8121-121212121201',
    orderLineId: IDS.line1,
    price: 5.1,
    currencyCode: 'USD',
    effectiveDate: '2025-01-01T00:00:00Z',
    expirationDate: '2026-01-01T00:00:00Z',
    active: true,
  },
  {
    id: '12121212-1212-4121-8121-121212121202',
    orderLineId: IDS.line1,
    price: 4.2,
    currencyCode: 'USD',
    effectiveDate: '2026-01-01T00:00:00Z',
    breakpointQuantity: 100,
    active: true,
  },
  {
    id: '12121212-1212-4121-8121-121212121203',
    orderLineId: IDS.line1,
    price: 4.85,
    currencyCode: 'USD',
    effectiveDate: '2026-01-01T00:00:00Z',
    breakpointQuantity: 1,
    active: true,
    primaryPrice: true,
  },
  {
    id: '12121212-1212-4121-8121-121212121204',
    orderLineId: IDS.line2,
    price: 64,
    currencyCode: 'USD',
    effectiveDate: '2026-01-01T00:00:00Z',
    active: true,
  },
];

export function pricesByLine(records: PlexOrderLinePrice[] = LINE_PRICES): Map<string, PlexOrderLinePrice[]> {
  const out = new Map<string, PlexOrderLinePrice[]>();
  for (const r of records) out.set(r.orderLineId!, [...(out.get(r.orderLineId!) ?? []), r]);
  return out;
}

export const SHIPPER: PlexCustomerShipper = {
  id: IDS.shipper,
  shipperNumber: 'S5001',
  customerId: IDS.customer,
  customerAddressId: IDS.address,
  status: 'Open',
};

export function orderParts(overrides: Partial<PlexOrderParts> = {}): PlexOrderParts {
  return {
    connection: 'plex-test',
    order: ORDER,
    lines: LINES,
    releases: RELEASES,
    customer: CUSTOMER,
    shipTo: ADDRESS,
    parts: PARTS,
    shipper: SHIPPER,
    prices: pricesByLine(),
    currency: 'USD',
    now: '2026-11-20T12:00:00Z',
    ...overrides,
  };
}

export const WAREHOUSE: Address = {
  company: 'ML Plant 1',
  lines: ['3875 Airways Blvd'],
  city: 'Memphis',
  stateOrProvince: 'TN',
  postalCode: '38116',
  countryCode: 'US',
  phone: '9015550199',
};

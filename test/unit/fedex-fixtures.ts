// Shared test data for the FedEx connector tests: canonical requests and an in-memory TokenStore.

import type { CustomsDetail } from '../../domain/customs';
import type { Address, ShipmentRequest } from '../../domain/model';
import type { AccessToken, AccessTokenStore as TokenStore } from '../../connectors/kit/tokens';

export const SHIPPER: Address = {
  name: 'Shipping Dept',
  company: 'Acme Machining',
  lines: ['3875 Airways Blvd', 'Dock 4'],
  city: 'Memphis',
  stateOrProvince: 'TN',
  postalCode: '38116',
  countryCode: 'US',
  phone: '+1 (901) 555-0100',
  email: 'shipping@acme.example',
};

export const RECIPIENT: Address = {
  name: 'Jane Buyer',
  company: 'Widgets Inc',
  lines: ['100 Main Street'],
  city: 'Austin',
  stateOrProvince: 'TX',
  postalCode: '78701',
  countryCode: 'US',
  phone: '512-555-0199',
  residential: false,
};

export function shipmentRequest(overrides: Partial<ShipmentRequest> = {}): ShipmentRequest {
  return {
    idempotencyKey: 'order/plex-demo/SO-1001',
    shipper: SHIPPER,
    recipient: RECIPIENT,
    packages: [
      {
        weight: { value: 12.5, unit: 'LB' },
        dimensions: { length: 12, width: 10, height: 8.2, unit: 'IN' },
        declaredValue: { amount: 250, currency: 'USD' },
      },
    ],
    serviceLevel: 'ground',
    shipDate: '2026-11-23',
    references: { orderNumber: 'SO-1001', poNumber: 'PO-77', invoiceNumber: 'INV-9', department: 'CC-410' },
    payment: { type: 'SENDER' },
    label: { format: 'PDF', delivery: 'LABEL' },
    ...overrides,
  };
}

export const CANADA: Address = {
  name: 'Receiving',
  company: 'Maple Tier One Ltd',
  lines: ['2200 Lakeshore Rd W'],
  city: 'Mississauga',
  stateOrProvince: 'ON',
  postalCode: 'L5J 1K2',
  countryCode: 'CA',
  phone: '905-555-0142',
};

/** What domain/customs.ts builds for two lines shipped from the US to Canada. */
export const CUSTOMS: CustomsDetail = {
  lines: [
    {
      sku: 'BRG-6204',
      description: 'Ball bearings, steel, 20 mm bore',
      hsCode: '8482.10.5044',
      countryOfManufacture: 'US',
      quantity: 40,
      quantityUnit: 'PCS',
      unitPrice: { amount: 3.25, currency: 'USD' },
      customsValue: { amount: 130, currency: 'USD' },
      netWeight: { value: 4.4, unit: 'KG' },
    },
    {
      sku: 'HSE-12',
      description: 'Hydraulic hose, rubber, per metre',
      hsCode: '4009.42',
      countryOfManufacture: 'MX',
      quantity: 2.5,
      quantityUnit: 'M',
      unitPrice: { amount: 12, currency: 'USD' },
      customsValue: { amount: 30, currency: 'USD' },
    },
  ],
  totalCustomsValue: { amount: 160, currency: 'USD' },
  commercialInvoice: { number: 'INV-2026-0042', purpose: 'SOLD', termsOfSale: 'DAP' },
  dutiesPayment: { payer: 'RECIPIENT', account: '510087020' },
};

/** A shipment from Memphis to Canada with its customs detail, packed in kilograms. */
export function internationalRequest(overrides: Partial<ShipmentRequest> = {}): ShipmentRequest {
  return shipmentRequest({
    recipient: CANADA,
    packages: [
      { weight: { value: 6, unit: 'KG' }, dimensions: { length: 40, width: 30, height: 20, unit: 'CM' } },
    ],
    serviceLevel: 'two_day',
    customs: CUSTOMS,
    ...overrides,
  });
}

/** A TokenStore in memory with the same single-flight contract as the database one. */
export class MemoryTokenStore implements TokenStore {
  token: AccessToken | null = null;
  locked: Date | null = null;
  refreshCalls = 0;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly now: () => Date = () => new Date()) {}

  private valid(t: AccessToken | null): t is AccessToken {
    return !!t && t.expiresAt.getTime() - this.now().getTime() > 60_000;
  }

  async getValid(): Promise<AccessToken | null> {
    return this.valid(this.token) ? this.token : null;
  }

  refresh(
    _connection: string,
    fetchToken: () => Promise<AccessToken>,
    rejected?: string,
  ): Promise<AccessToken> {
    const run = this.chain.then(async () => {
      this.refreshCalls++;
      if (this.valid(this.token) && this.token.value !== rejected) return this.token;
      this.token = await fetchToken();
      return this.token;
    });
    this.chain = run.catch(() => undefined);
    return run;
  }

  async lockedUntil(): Promise<Date | null> {
    return this.locked;
  }

  async lockUntil(_connection: string, until: Date): Promise<void> {
    this.locked = until;
  }
}

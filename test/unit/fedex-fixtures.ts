// Shared test data for the FedEx connector tests: canonical requests and an in-memory TokenStore.

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

import type { ErpOrder } from '../../domain/order';

/** A small canonical order (one line, a US ship-to) for connector tests; copy it under your own keys. */
export const SAMPLE_ORDER: ErpOrder = {
  connection: 'plex-main',
  orderKey: 'so-4711',
  orderNumber: 'SO-4711',
  customer: { key: 'c1', name: 'Acme Corp' },
  shipTo: {
    name: 'Receiving',
    lines: ['1 Main St'],
    city: 'Austin',
    stateOrProvince: 'TX',
    postalCode: '78701',
    countryCode: 'US',
  },
  lines: [
    {
      lineKey: 'L1',
      sku: 'BRKT-100',
      description: 'Bracket',
      quantity: 4,
      unitWeight: { value: 1.5, unit: 'LB' },
      unitPrice: { amount: 12.5, currency: 'USD' },
    },
  ],
  modifiedAt: '2026-11-20T18:00:00Z',
  version: 'v1',
  writeBackKeys: {},
};

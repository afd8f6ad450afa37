// Canonical data the conformance suite sends to carriers and warehouses: an ERP order as any ERP
// connector would load it, and the shipment request the domain mapping makes of it. Hand-built in
// the canonical model only, so every carrier in the registry gets the same order and nothing here
// knows a system's wire format.

import { buildShipmentRequest } from '../../domain/shipment-request';
import type { Address, ShipmentRequest } from '../../domain/model';
import type { ErpOrder, StatusWriteBack, TrackingWriteBack } from '../../domain/order';

/** The part numbers of the canonical order (a simulated warehouse is started holding them). */
export const FIXTURE_SKUS: readonly string[] = ['CNF-BRACKET-10', 'CNF-HOUSING-20'];

/** The warehouse the canonical shipments leave from. */
export const SHIP_FROM: Address = {
  company: 'Conformance Manufacturing Co',
  name: 'Shipping Dept',
  lines: ['3610 Hacks Cross Rd'],
  city: 'Memphis',
  stateOrProvince: 'TN',
  postalCode: '38125',
  countryCode: 'US',
  phone: '9015550100',
};

/** A domestic business address every carrier serves. */
const SHIP_TO: Address = {
  company: 'Acme Fabrication LLC',
  name: 'Receiving',
  lines: ['1200 Industrial Pkwy', 'Dock 4'],
  city: 'Columbus',
  stateOrProvince: 'OH',
  postalCode: '43215',
  countryCode: 'US',
  phone: '6145550142',
  email: 'receiving@acme-fab.example.com',
  residential: false,
};

/** YYYY-MM-DD of today, UTC. */
export const today = () => new Date().toISOString().slice(0, 10);

/**
 * A ready-to-ship order of two lines with weights, as an ERP connector loads it. `tag` makes its
 * key and number unique, so every case can have an order of its own.
 */
export function canonicalOrder(erpConnection: string, tag: string): ErpOrder {
  return {
    connection: erpConnection,
    orderKey: `cnf-${tag}`,
    orderNumber: `CNF-${tag}`.toUpperCase().slice(0, 40),
    poNumber: `PO-${tag}`.toUpperCase().slice(0, 30),
    customer: { key: 'cust-acme', code: 'ACME', name: 'Acme Fabrication LLC' },
    shipTo: SHIP_TO,
    requestedShipDate: today(),
    lines: [
      {
        lineKey: '1',
        sku: FIXTURE_SKUS[0]!,
        description: 'Steel bracket',
        quantity: 4,
        unitWeight: { value: 1.5, unit: 'KG' },
        unitPrice: { amount: 12.5, currency: 'USD' },
      },
      {
        lineKey: '2',
        sku: FIXTURE_SKUS[1]!,
        description: 'Aluminium housing',
        quantity: 1,
        unitWeight: { value: 3.2, unit: 'KG' },
        unitPrice: { amount: 89, currency: 'USD' },
      },
    ],
    modifiedAt: new Date().toISOString(),
    version: `v1-${tag}`,
    writeBackKeys: {},
  };
}

/**
 * The shipment request the domain mapping makes of the canonical order: ground service by its
 * carrier-neutral level (no carrier's own code), PDF label bytes, billed to the sender.
 */
export function canonicalShipmentRequest(order: ErpOrder, idempotencyKey: string): ShipmentRequest {
  const { request, problems } = buildShipmentRequest(
    order,
    {
      shipFrom: SHIP_FROM,
      serviceLevels: {},
      defaultServiceLevel: 'ground',
      label: { format: 'PDF', delivery: 'LABEL' },
    },
    { idempotencyKey, today: today() },
  );
  if (problems.length > 0) {
    throw new Error(`the canonical order does not map: ${problems.map((p) => p.message).join('; ')}`);
  }
  return request;
}

/** A tracking write-back as the workflow sends it once a label exists. */
export function trackingWriteBack(carrier: string, trackingNumber: string): TrackingWriteBack {
  return {
    carrier,
    trackingNumber,
    pieceTrackingNumbers: [trackingNumber],
    serviceType: 'GROUND',
    shipDate: today(),
    cost: { amount: 14.35, currency: 'USD' },
  };
}

/** A status write-back as the workflow sends it when tracking moves. */
export function statusWriteBack(description: string, trackingNumber?: string): StatusWriteBack {
  return {
    status: 'in_transit',
    at: new Date().toISOString(),
    description,
    ...(trackingNumber ? { trackingNumber } : {}),
  };
}

/**
 * A key of the same shape as `key` that no system holds: every digit and hex letter changed, the
 * rest kept (a UUID stays a UUID, a number a number of the same length).
 */
export function unknownKeyLike(key: string): string {
  return key.replace(/[0-9a-fA-F]/g, (c) => {
    if (/[0-9]/.test(c)) return String((Number(c) + 5) % 10);
    const lower = c.toLowerCase();
    const shifted = String.fromCharCode(((lower.charCodeAt(0) - 97 + 3) % 6) + 97);
    return c === lower ? shifted : shifted.toUpperCase();
  });
}

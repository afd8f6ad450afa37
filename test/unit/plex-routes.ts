// Route table for the scripted Plex server: one order (test/unit/plex-fixtures) served in the
// spec's shapes, with knobs to hide data the way a restricted integration user would see it.

import { ADDRESS, CUSTOMER, IDS, LINE_PRICES, LINES, ORDER, PARTS, RELEASES, SHIPPER } from './plex-fixtures';
import { json, type Handler } from './plex-server';

export interface OrderWorld {
  hideReleases?: boolean;
  hideCustomer?: boolean;
  /** Shipper as Plex holds it now (PUTs merge into it). */
  shipper: Record<string, unknown>;
}

const UUID = '([0-9a-f-]{36})';

export function orderRoutes(world: OrderWorld): Array<[string, RegExp, Handler]> {
  const part = (id: string) => PARTS.find((p) => p.id === id);
  return [
    ['GET', /^\/sales\/v1\/orders$/, () => json([ORDER])],
    [
      'GET',
      new RegExp(`^/sales/v1/orders/${UUID}$`),
      (_r, [id]) => (id === ORDER.id ? json(ORDER) : json({}, 404)),
    ],
    ['GET', new RegExp(`^/sales/v1/orders/${UUID}/lines$`), () => json(LINES)],
    [
      'GET',
      new RegExp(`^/sales/v1/orders/${UUID}/lines/${UUID}/prices$`),
      (_r, [, lineId]) => json(LINE_PRICES.filter((p) => p.orderLineId === lineId)),
    ],
    [
      'GET',
      /^\/sales\/v1\/releases$/,
      (req) => {
        if (world.hideReleases) return json([]);
        const lines = req.query.filter(([k]) => k === 'orderLineIds').map(([, v]) => v);
        const ids = req.query.filter(([k]) => k === 'id').map(([, v]) => v);
        return json(
          RELEASES.filter(
            (r) =>
              (lines.length === 0 || lines.includes(r.orderLineId!)) &&
              (ids.length === 0 || ids.includes(r.id)),
          ),
        );
      },
    ],
    [
      'GET',
      new RegExp(`^/mdm/v1/customers/${UUID}$`),
      () =>
        world.hideCustomer ? json({ code: 'RESOURCE_NOT_FOUND', message: 'Not found' }, 404) : json(CUSTOMER),
    ],
    ['GET', /^\/mdm\/v1\/customers$/, () => json([])],
    [
      'GET',
      /^\/mdm\/v1\/tenants$/,
      () => json([{ id: '5f0c1e2a-7b3d-4c8e-9a1f-2d3e4f5a6b7c', code: 'TEST' }]),
    ],
    ['GET', new RegExp(`^/mdm/v1/customers/${UUID}/addresses/${UUID}$`), () => json(ADDRESS)],
    [
      'GET',
      /^\/mdm\/v1\/parts$/,
      (req) => {
        const ids = req.query.filter(([k]) => k === 'id').map(([, v]) => v);
        return json(
          PARTS.filter((p) => ids.includes(p.id)).map(({ pieceWeight: _w, hsCode: _h, ...record }) => record),
        );
      },
    ],
    [
      'GET',
      new RegExp(`^/shipping/v1-beta1/inventory/parts/${UUID}/shipping-details$`),
      (_r, [id]) => {
        const p = part(id!);
        return p?.pieceWeight
          ? json({
              partId: p.id,
              partNumber: p.number,
              partPieceWeight: p.pieceWeight.value,
              weightUnit: p.pieceWeight.unit,
              ...(p.hsCode ? { harmonizedTariffCode: p.hsCode } : {}),
            })
          : json({ code: 'RESOURCE_NOT_FOUND', message: 'Not found' }, 404);
      },
    ],
    ['GET', /^\/shipping\/v1\/customer-shippers$/, () => json([world.shipper])],
    ['GET', new RegExp(`^/shipping/v1/customer-shippers/${UUID}$`), () => json(world.shipper)],
    [
      'GET',
      new RegExp(`^/shipping/v1/customer-shippers/${UUID}/lines$`),
      () =>
        json(
          RELEASES.slice(0, 3).map((r, i) => ({
            id: `99999999-9999-4999-8999-99999999999${i}`,
            shipperId: IDS.shipper,
            quantity: r.quantity,
            releaseId: r.id,
          })),
        ),
    ],
    [
      'PUT',
      new RegExp(`^/shipping/v1-beta1/customer-shippers/${UUID}$`),
      (req) => {
        world.shipper = { ...world.shipper, ...(req.body as object), modifiedDate: new Date().toISOString() };
        return json(world.shipper);
      },
    ],
  ];
}

export function freshWorld(overrides: Partial<OrderWorld> = {}): OrderWorld {
  return { shipper: { ...SHIPPER }, ...overrides };
}

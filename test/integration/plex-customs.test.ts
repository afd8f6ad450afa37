// Customs values from Plex, against the Plex simulator over real HTTP: an international order whose
// part has no HS code parks with a reason naming the part and the Plex field, and once the code is
// set in Plex the retry's fresh load has it, although the worker keeps the part's master data. The
// prices are read for international orders only, one call per line.

import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import pino from 'pino';
import { PlexClient } from '../../connectors/plex/client';
import { parseReadyState } from '../../connectors/plex/mapping';
import type { ReadyOrderRef } from '../../domain/order';
import { buildShipmentRequest, type ShipmentMappingConfig } from '../../domain/shipment-request';
import { unlimited } from '../../lib/ratelimit';
import { DEMO_KEY, startPlexSimulator, type PlexSimulator, type SeededOrder } from '../../simulators/plex';
import { WAREHOUSE } from '../unit/plex-fixtures';

const SEED = 41;
const PRICES = 'GET /sales/v1/orders/{id}/lines/{lineId}/prices';
const SHIPPING_DETAILS = 'GET /shipping/v1-beta1/inventory/parts/{partId}/shipping-details';

/** Ships from Memphis, US, as the demo does; Plex has no country of origin, so the mapping gives it. */
const MAPPING: ShipmentMappingConfig = {
  shipFrom: WAREHOUSE,
  serviceLevels: {
    'FDX-GROUND': 'FEDEX_GROUND',
    'FDX-2DAY': 'FEDEX_2_DAY',
    'FDX-OVERNIGHT': 'PRIORITY_OVERNIGHT',
  },
  defaultService: 'FEDEX_GROUND',
  customs: {
    purpose: 'SOLD',
    termsOfSale: 'DAP',
    dutiesPayment: { payer: 'RECIPIENT' },
    defaults: { countryOfManufacture: 'US' },
  },
};
const CTX = { idempotencyKey: 'k', today: new Date().toISOString().slice(0, 10) };

describe('Plex customs values against the simulator', () => {
  let sim: PlexSimulator;
  let seeded: SeededOrder[];
  before(async () => {
    sim = await startPlexSimulator({ seed: SEED, rateLimitPerMinute: 100_000 });
  });
  after(() => sim.stop());
  beforeEach(() => {
    sim.reset();
    // Four invalid orders of twenty: one of each kind, the fourth an international order whose part
    // has no HS code.
    seeded = sim.seedOrders(20, { seed: SEED, invalidShare: 0.2 });
  });

  const client = () =>
    new PlexClient({
      connection: 'plex-sim',
      baseUrl: sim.url,
      apiKey: DEMO_KEY.apiKey,
      limiter: unlimited,
      timeoutMs: 5_000,
      log: pino({ level: 'silent' }),
      domesticCountry: 'US',
    });
  const diff = (before: Record<string, number>) => (route: string) =>
    (sim.callsByRoute()[route] ?? 0) - (before[route] ?? 0);

  it('parks an international order whose part lacks an HS code, naming the part and the Plex field; a fresh load after the fix has the code', async () => {
    const unclassified = seeded.find((s) => s.invalid === 'hs_code');
    assert.ok(unclassified, `seed ${SEED} gives an order without an HS code`);
    assert.notEqual(unclassified.country, 'US', 'only an international order lacks one');

    // As the worker does: the poll reads the order and what its load shares (parts kept for five
    // minutes), then the load.
    const worker = client();
    const found: ReadyOrderRef[] = [];
    await worker.detectReadyOrders({
      since: new Date(Date.now() - 3_600_000),
      until: new Date(Date.now() + 1_000),
      readyState: parseReadyState('Open'),
      onReady: async (ref) => void found.push(ref),
    });
    assert.ok(found.some((r) => r.orderKey === unclassified.orderKey));
    const parked = buildShipmentRequest(await worker.loadOrder(unclassified.orderKey), MAPPING, CTX);
    assert.deepEqual(
      parked.problems.map((p) => `${p.field}:${p.code}`),
      ['customs.lines[0].hsCode:customs_value_missing'],
      `seed ${SEED}`,
    );
    const part = `-H${unclassified.orderNumber}`;
    assert.match(parked.problems[0]!.message, new RegExp(`part \\S+${part} has no HS code`));
    assert.match(
      parked.problems[0]!.message,
      /the part's shipping details in Plex, Harmonized Tariff Code \(harmonizedTariffCode\)/,
    );

    // Someone classifies the part in Plex; the retry loads the order fresh.
    sim.fixOrder(unclassified.orderKey);
    const before = sim.callsByRoute();
    const retried = await worker.loadOrder(unclassified.orderKey, { fresh: true });
    const line = retried.lines.find((l) => l.sku.endsWith(part))!;
    assert.match(line.hsCode ?? '', /^\d{4}\.\d{2}\.\d{4}$/);
    assert.ok(diff(before)(SHIPPING_DETAILS) >= 1, 'the kept part without an HS code is read again');
    assert.deepEqual(buildShipmentRequest(retried, MAPPING, CTX).problems, []);
  });

  it("reads an international order's line prices, one call per line, and none for a domestic order", async () => {
    const valid = seeded.filter((s) => !s.invalid);
    const abroad = valid.find((s) => s.country !== 'US')!;
    const home = valid.find((s) => s.country === 'US')!;
    const worker = client();

    let before = sim.callsByRoute();
    const international = await worker.loadOrder(abroad.orderKey);
    assert.equal(diff(before)(PRICES), international.lines.length, `seed ${SEED}`);
    assert.ok(international.lines.every((l) => l.unitPrice && l.unitPrice.amount > 0 && l.hsCode));
    assert.ok(international.lines.every((l) => l.unitPrice!.currency === 'USD'));
    const { request, problems } = buildShipmentRequest(international, MAPPING, CTX);
    assert.deepEqual(problems, []);
    assert.equal(request.customs?.lines.length, international.lines.length);

    before = sim.callsByRoute();
    const domestic = await worker.loadOrder(home.orderKey);
    assert.equal(diff(before)(PRICES), 0);
    assert.ok(domestic.lines.every((l) => l.unitPrice === undefined));
    assert.deepEqual(buildShipmentRequest(domestic, MAPPING, CTX).problems, []);
  });
});

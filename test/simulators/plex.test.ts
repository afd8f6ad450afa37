import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validateAddress } from '../../domain/validate';
import {
  DEMO_KEY,
  DEMO_TENANT,
  SHIP_VIA,
  startPlexSimulator,
  type PlexSimOptions,
  type PlexSimulator,
  type SeededOrder,
} from '../../simulators/plex';
import { MinuteLimiter } from '../../simulators/plex/limits';

const KEY = DEMO_KEY.apiKey;
const OTHER_TENANT = { id: '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d', code: 'SECOND', pcn: '654321' };

interface Answer {
  status: number;
  headers: Headers;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

/** A tiny Plex caller (deliberately not the connector under test elsewhere). */
async function call(
  sim: PlexSimulator,
  path: string,
  opts: { method?: string; key?: string | null; headers?: Record<string, string>; body?: unknown } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.key !== null) headers['X-Plex-Connect-Api-Key'] = opts.key ?? KEY;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${sim.url}${path}`, {
    method: opts.method ?? 'GET',
    headers,
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  });
  return { status: res.status, headers: res.headers, body: await res.json() };
}

async function admin(sim: PlexSimulator, route: string, body?: unknown): Promise<Answer> {
  const res = await fetch(`${sim.url}/__admin/${route}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, body: await res.json() };
}

async function withSim(opts: PlexSimOptions, fn: (sim: PlexSimulator) => Promise<void>): Promise<void> {
  const sim = await startPlexSimulator({ seed: 11, ...opts });
  try {
    await fn(sim);
  } finally {
    await sim.stop();
  }
}

const NOT_AUTHENTICATED = {
  code: 'REQUEST_NOT_AUTHENTICATED',
  message: 'The request could not be authenticated.',
};

function ok(answer: Answer): Answer {
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  return answer;
}

/** The canonical address a connector would build from a Plex customer address. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function canonical(address: any) {
  return {
    company: address.name,
    lines: String(address.address).split('\n'),
    city: address.city,
    stateOrProvince: address.state,
    postalCode: address.zip,
    countryCode: address.country,
    phone: address.phone,
  };
}

describe('Plex simulator: key, tenant and product rules', () => {
  it('answers 401 REQUEST_NOT_AUTHENTICATED to a missing or unknown key', () =>
    withSim({ orders: 3 }, async (sim) => {
      for (const key of [null, '', 'not-the-key', `${KEY}x`]) {
        const answer = await call(sim, '/sales/v1/orders', { key });
        assert.equal(answer.status, 401, `key ${key}`);
        assert.deepEqual(answer.body, NOT_AUTHENTICATED);
      }
      assert.equal(ok(await call(sim, '/sales/v1/orders')).body.length, 3);
    }));

  it('selects a tenant by tenant id or PCN header, only among those the key may use', () =>
    withSim(
      {
        tenants: [DEMO_TENANT, OTHER_TENANT],
        keys: [{ apiKey: KEY }, { apiKey: 'single-tenant-key', tenantIds: [DEMO_TENANT.id] }],
        orders: 2,
      },
      async (sim) => {
        sim.seedOrders(5, { tenantId: OTHER_TENANT.id, seed: 3 });
        const byDefault = ok(await call(sim, '/sales/v1/orders')).body;
        assert.equal(byDefault.length, 2, 'the default tenant is the first one');
        const byId = ok(
          await call(sim, '/sales/v1/orders', { headers: { 'X-Plex-Connect-Tenant-Id': OTHER_TENANT.id } }),
        ).body;
        assert.equal(byId.length, 5);
        const byPcn = ok(
          await call(sim, '/sales/v1/orders', {
            headers: { 'X-Plex-Connect-Customer-Id': OTHER_TENANT.pcn },
          }),
        ).body;
        assert.deepEqual(
          byPcn.map((o: { id: string }) => o.id),
          byId.map((o: { id: string }) => o.id),
        );

        const refused: { key: string; headers: Record<string, string> }[] = [
          { key: 'single-tenant-key', headers: { 'X-Plex-Connect-Tenant-Id': OTHER_TENANT.id } },
          { key: 'single-tenant-key', headers: { 'X-Plex-Connect-Customer-Id': OTHER_TENANT.pcn } },
          { key: KEY, headers: { 'X-Plex-Connect-Tenant-Id': '11111111-2222-4333-8444-555555555555' } },
          { key: KEY, headers: { 'X-Plex-Connect-Customer-Id': '999' } },
          // Both headers, naming different tenants.
          {
            key: KEY,
            headers: {
              'X-Plex-Connect-Tenant-Id': DEMO_TENANT.id,
              'X-Plex-Connect-Customer-Id': OTHER_TENANT.pcn,
            },
          },
        ];
        for (const r of refused) {
          const answer = await call(sim, '/sales/v1/orders', r);
          assert.equal(answer.status, 401, JSON.stringify(r));
          assert.deepEqual(answer.body, NOT_AUTHENTICATED);
        }
        const tenants = ok(await call(sim, '/mdm/v1/tenants', { key: 'single-tenant-key' })).body;
        assert.deepEqual(tenants, [{ id: DEMO_TENANT.id, code: DEMO_TENANT.code }]);
        const byCode = ok(await call(sim, `/mdm/v1/tenants?code=${OTHER_TENANT.code}`)).body;
        assert.deepEqual(byCode, [{ id: OTHER_TENANT.id, code: OTHER_TENANT.code }]);
      },
    ));

  it('refuses collections the key is not subscribed to with 401, or 404 RESOURCE_NOT_FOUND when configured', () =>
    withSim({ keys: [{ apiKey: KEY, products: ['sales'] }], orders: 1 }, async (sim) => {
      ok(await call(sim, '/sales/v1/orders'));
      const refused = await call(sim, '/mdm/v1/customers');
      assert.equal(refused.status, 401);
      assert.deepEqual(refused.body, NOT_AUTHENTICATED);
      sim.setLimits({ unsubscribedStatus: 404 });
      const hidden = await call(sim, '/shipping/v1/customer-shippers');
      assert.equal(hidden.status, 404);
      assert.equal(hidden.body.code, 'RESOURCE_NOT_FOUND');
    }));

  it('answers 404 RESOURCE_NOT_FOUND to unknown routes and unknown ids', () =>
    withSim({ orders: 1 }, async (sim) => {
      const [order] = sim.orders();
      const missing = '00000000-0000-4000-8000-000000000000';
      for (const path of [
        '/sales/v1/nothing',
        '/sales/v2/orders',
        '/no-such-collection/v1/things',
        `/sales/v1/orders/${missing}`,
        `/sales/v1/orders/${missing}/lines`,
        `/sales/v1/releases/${missing}`,
        `/mdm/v1/customers/${missing}`,
        `/mdm/v1/customers/${order!.customerId}/addresses/${missing}`,
        `/mdm/v1/parts/${missing}`,
        `/shipping/v1-beta1/inventory/parts/${missing}/shipping-details`,
        `/shipping/v1/customer-shippers/${missing}`,
        `/shipping/v1/customer-shippers/${order!.shipperId}/lines/${missing}`,
      ]) {
        const answer = await call(sim, path);
        assert.equal(answer.status, 404, path);
        assert.equal(answer.body.code, 'RESOURCE_NOT_FOUND', path);
      }
      const put = await call(sim, `/shipping/v1-beta1/customer-shippers/${missing}`, {
        method: 'PUT',
        body: { trackingNumber: '1' },
      });
      assert.equal(put.status, 404);
    }));
});

describe('Plex simulator: lists, filters and the date format', () => {
  it('answers bare arrays, ignores unknown parameters and honours documented filters', () =>
    withSim({ orders: 12 }, async (sim) => {
      const all = ok(await call(sim, '/sales/v1/orders')).body;
      assert.ok(Array.isArray(all));
      assert.equal(all.length, 12);
      // Unknown parameters are silently ignored: no paging, no 400.
      const ignored = ok(
        await call(sim, '/sales/v1/orders?limit=1&offset=5&updatedAfter=garbage&$top=2&pageSize=1'),
      ).body;
      assert.equal(ignored.length, 12);

      const [a, b] = sim.orders();
      const one = ok(await call(sim, `/sales/v1/orders?orderNumber=${a!.orderNumber}`)).body;
      assert.deepEqual(
        one.map((o: { id: string }) => o.id),
        [a!.orderKey],
      );
      const two = ok(await call(sim, `/sales/v1/orders?id=${a!.orderKey}&id=${b!.orderKey}`)).body;
      assert.equal(two.length, 2);
      assert.equal(ok(await call(sim, '/sales/v1/orders?status=Open')).body.length, 12);
      assert.equal(ok(await call(sim, '/sales/v1/orders?status=Closed')).body.length, 0);
      assert.equal(ok(await call(sim, '/sales/v1/orders?status=Closed&status=Open')).body.length, 12);

      const lines = ok(await call(sim, `/sales/v1/orders/${a!.orderKey}/lines`)).body;
      assert.ok(lines.length >= 1 && lines.every((l: { orderId: string }) => l.orderId === a!.orderKey));
      const query = lines.map((l: { id: string }) => `orderLineIds=${l.id}`).join('&');
      const releases = ok(await call(sim, `/sales/v1/releases?${query}`)).body;
      assert.equal(releases.length, lines.length);
      for (const r of releases) {
        assert.ok(r.quantity > 0);
        assert.equal(r.status, 'Open');
        assert.equal(r.shipToAddressId, a!.shipToAddressId);
      }
      const allReleases = ok(await call(sim, '/sales/v1/releases')).body;
      assert.ok(allReleases.length > releases.length);

      const shippers = ok(
        await call(sim, `/shipping/v1/customer-shippers?customerAddressId=${a!.shipToAddressId}&status=Open`),
      ).body;
      assert.deepEqual(
        shippers.map((s: { id: string }) => s.id),
        [a!.shipperId],
      );
      const shipperLines = ok(await call(sim, `/shipping/v1/customer-shippers/${a!.shipperId}/lines`)).body;
      assert.deepEqual(
        shipperLines.map((l: { releaseId: string }) => l.releaseId).sort(),
        releases.map((r: { id: string }) => r.id).sort(),
      );
      const lineReleases = ok(
        await call(
          sim,
          `/shipping/v1/customer-shippers/${a!.shipperId}/lines/${shipperLines[0].id}/releases`,
        ),
      ).body;
      assert.deepEqual(lineReleases, [{ releaseId: shipperLines[0].releaseId }]);

      const addresses = ok(await call(sim, `/mdm/v1/customers/${a!.customerId}/addresses?shipTo=true`)).body;
      assert.ok(addresses.some((x: { id: string }) => x.id === a!.shipToAddressId));
      assert.equal(
        ok(await call(sim, `/mdm/v1/customers/${a!.customerId}/addresses?shipTo=false`)).body.length,
        0,
      );
      const badBool = await call(sim, `/mdm/v1/customers/${a!.customerId}/addresses?shipTo=yes`);
      assert.equal(badBool.status, 400);
    }));

  it('lists by line, shipper and customer ids answer what filtering every record would, in the same order, also after more seeding', () =>
    withSim({ orders: 6 }, async (sim) => {
      const check = async () => {
        const allReleases = ok(await call(sim, '/sales/v1/releases')).body as Array<{
          id: string;
          orderLineId: string;
        }>;
        const allShippers = ok(await call(sim, '/shipping/v1/customer-shippers')).body as Array<{
          id: string;
          customerId: string;
        }>;
        const orders = sim.orders();
        // Lines of the first and the last order, asked for last order first.
        const lineIds: string[] = [];
        for (const o of [orders[orders.length - 1]!, orders[0]!]) {
          const lines = ok(await call(sim, `/sales/v1/orders/${o.orderKey}/lines`)).body as Array<{
            id: string;
            orderId: string;
          }>;
          assert.ok(lines.length >= 1 && lines.every((l) => l.orderId === o.orderKey));
          lineIds.push(...lines.map((l) => l.id));
        }
        const query = lineIds.map((id) => `orderLineIds=${id}`).join('&');
        assert.deepEqual(
          (ok(await call(sim, `/sales/v1/releases?${query}`)).body as Array<{ id: string }>).map((r) => r.id),
          allReleases.filter((r) => lineIds.includes(r.orderLineId)).map((r) => r.id),
        );
        const customers = [orders[orders.length - 1]!.customerId, orders[0]!.customerId];
        assert.deepEqual(
          (
            ok(
              await call(
                sim,
                `/shipping/v1/customer-shippers?customerId=${customers[0]}&customerId=${customers[1]}`,
              ),
            ).body as Array<{ id: string }>
          ).map((s) => s.id),
          allShippers.filter((s) => customers.includes(s.customerId)).map((s) => s.id),
        );
        const last = orders[orders.length - 1]!;
        const shipperLines = ok(await call(sim, `/shipping/v1/customer-shippers/${last.shipperId}/lines`))
          .body as unknown[];
        assert.ok(shipperLines.length >= 1);
        // An empty id filters as Plex would (records without that id), not through the index.
        assert.deepEqual(ok(await call(sim, '/sales/v1/releases?orderLineIds=')).body, []);
      };
      await check();
      sim.seedOrders(3, { invalidShare: 0 });
      await check();
    }));

  it('filters by modified date (modifiedByDate on orders) and refuses dates not in YYYY-MM-DDThh:mm[:ss[.fffffff]]Z', () =>
    withSim({ orders: 4 }, async (sim) => {
      const [first] = sim.orders();
      const order = ok(await call(sim, `/sales/v1/orders/${first!.orderKey}`)).body;
      const seeded = Date.parse(order.modifiedDate);
      const minute = (ms: number) => new Date(ms).toISOString().slice(0, 16) + 'Z';
      const before = ok(
        await call(sim, `/sales/v1/orders?modifiedByDateBegin=${minute(seeded - 60_000)}`),
      ).body;
      assert.equal(before.length, 4);
      const after = ok(
        await call(sim, `/sales/v1/orders?modifiedByDateBegin=${minute(seeded + 120_000)}`),
      ).body;
      assert.equal(after.length, 0);
      const upTo = ok(await call(sim, `/sales/v1/orders?modifiedByDateEnd=${minute(seeded - 60_000)}`)).body;
      assert.equal(upTo.length, 0);
      // Seconds and a 7-digit fraction are allowed.
      const fine = new Date(seeded - 1000).toISOString().replace(/\.(\d{3})Z$/, '.$10000Z');
      assert.equal(ok(await call(sim, `/sales/v1/orders?modifiedByDateBegin=${fine}`)).body.length, 4);
      // modifiedDateBegin is not an order filter: ignored like any unknown parameter.
      assert.equal(
        ok(await call(sim, `/sales/v1/orders?modifiedDateBegin=${minute(seeded + 120_000)}`)).body.length,
        4,
      );

      for (const bad of [
        '2026-11-21',
        '2026-11-21T10:00',
        '2026-11-21T10:00:00',
        '2026-11-21 10:00:00Z',
        '2026-11-21T10:00:00+00:00',
        '2026-11-21T10:00:00.12345678Z',
        '2026-02-30T10:00Z',
        'yesterday',
      ]) {
        for (const path of [
          `/sales/v1/orders?modifiedByDateBegin=${encodeURIComponent(bad)}`,
          `/sales/v1/releases?dueDateEnd=${encodeURIComponent(bad)}`,
          `/shipping/v1/customer-shippers?modifiedDateBegin=${encodeURIComponent(bad)}`,
          `/mdm/v1/customers?modifiedDateEnd=${encodeURIComponent(bad)}`,
        ]) {
          const answer = await call(sim, path);
          assert.equal(answer.status, 400, `${path}`);
          assert.equal(answer.body.errors[0].code, 'INVALID_DATE_FORMAT');
          assert.equal(typeof answer.body.message, 'string');
        }
      }
    }));
});

describe('Plex simulator: write-back', () => {
  it('PUT on the beta customer shipper stores tracking, carrier and status; later GETs show it with a new modifiedDate', () =>
    withSim({ orders: 3 }, async (sim) => {
      const [order] = sim.orders();
      const before = ok(await call(sim, `/shipping/v1/customer-shippers/${order!.shipperId}`)).body;
      assert.equal(before.status, 'Open');
      assert.equal(before.trackingNumber, undefined);
      const carrierId = sim.tenants()[0]!.carrierId;
      assert.equal(before.carrierId, carrierId);

      const put = ok(
        await call(sim, `/shipping/v1-beta1/customer-shippers/${order!.shipperId}`, {
          method: 'PUT',
          body: {
            trackingNumber: '794612345678',
            carrierId,
            status: 'Shipped',
            scheduledShipDate: '2026-11-21T15:00Z',
            shipperNote: 'FedEx FEDEX_GROUND, 2 packages',
            pallets: 0,
            freightAmount: 23.45,
          },
        }),
      ).body;
      assert.equal(put.trackingNumber, '794612345678');
      assert.equal(put.scheduledShipDate, '2026-11-21T15:00:00.000Z');
      const after = ok(await call(sim, `/shipping/v1/customer-shippers/${order!.shipperId}`)).body;
      assert.equal(after.trackingNumber, '794612345678');
      assert.equal(after.status, 'Shipped');
      assert.equal(after.shipperNote, 'FedEx FEDEX_GROUND, 2 packages');
      assert.equal(after.freightAmount, 23.45);
      assert.ok(Date.parse(after.modifiedDate) > Date.parse(before.modifiedDate));
      assert.equal(after.createdDate, before.createdDate);

      // Two writes in a row still give two different modifiedDates.
      const again = ok(
        await call(sim, `/shipping/v1-beta1/customer-shippers/${order!.shipperId}`, {
          method: 'PUT',
          body: { status: 'In Transit' },
        }),
      ).body;
      assert.ok(Date.parse(again.modifiedDate) > Date.parse(after.modifiedDate));
      assert.equal(again.trackingNumber, '794612345678', 'fields left out keep their values');

      const byTracking = ok(
        await call(sim, '/shipping/v1/customer-shippers?trackingNumber=794612345678'),
      ).body;
      assert.deepEqual(
        byTracking.map((s: { id: string }) => s.id),
        [order!.shipperId],
      );
      const changedSince = ok(
        await call(
          sim,
          `/shipping/v1/customer-shippers?modifiedDateBegin=${new Date(Date.parse(before.modifiedDate) + 1).toISOString()}`,
        ),
      ).body;
      assert.deepEqual(
        changedSince.map((s: { id: string }) => s.id),
        [order!.shipperId],
      );
      assert.equal(sim.getShipper(order!.orderKey)?.trackingNumber, '794612345678');
      assert.equal(sim.getShipper(order!.orderNumber)?.status, 'In Transit');
      assert.equal(sim.counters().writes, 2);
      assert.equal(sim.counters().writesByShipper[order!.shipperId], 2);
    }));

  it('trackingNumberOf reads a shipper’s stored tracking number by shipper id, in any tenant', () =>
    withSim({ orders: 1, tenants: [DEMO_TENANT, OTHER_TENANT] }, async (sim) => {
      const [order] = sim.orders();
      const [other] = sim.seedOrders(1, { tenantId: OTHER_TENANT.id });
      assert.equal(sim.trackingNumberOf(order!.shipperId), undefined, 'none before the write-back');
      ok(
        await call(sim, `/shipping/v1-beta1/customer-shippers/${order!.shipperId}`, {
          method: 'PUT',
          body: { trackingNumber: '794612345678' },
        }),
      );
      assert.equal(sim.trackingNumberOf(order!.shipperId), '794612345678');
      assert.equal(sim.trackingNumberOf(order!.shipperId), sim.getShipper(order!.shipperId)?.trackingNumber);
      sim.updateOrder(other!.orderKey, { shipper: { trackingNumber: '794600000002' } });
      assert.equal(sim.trackingNumberOf(other!.shipperId), '794600000002');
      sim.updateOrder(order!.orderKey, { shipper: { trackingNumber: null } });
      assert.equal(sim.trackingNumberOf(order!.shipperId), undefined, 'cleared');
      // Shipper ids only: an order key or an unknown id finds nothing.
      assert.equal(sim.trackingNumberOf(other!.orderKey), undefined);
      assert.equal(sim.trackingNumberOf('no-such-shipper'), undefined);
    }));

  it('refuses wrong types, unknown statuses and carriers with 400 {code, message, errors[]}; ignores unknown fields', () =>
    withSim({ orders: 1 }, async (sim) => {
      const [order] = sim.orders();
      const path = `/shipping/v1-beta1/customer-shippers/${order!.shipperId}`;
      const bad = await call(sim, path, {
        method: 'PUT',
        body: {
          trackingNumber: 794612345678,
          carrierId: 'fedex',
          pallets: 1.5,
          scheduledShipDate: '2026-11-21 10:00',
          truckCalledDate: '21/11/2026',
          freightAmount: '12.00',
        },
      });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.code, 'REQUEST_VALIDATION_FAILED');
      assert.equal(typeof bad.body.message, 'string');
      assert.equal(bad.body.errors.length, 6);
      for (const e of bad.body.errors) {
        assert.equal(typeof e.code, 'string');
        assert.equal(typeof e.message, 'string');
      }
      const status = await call(sim, path, { method: 'PUT', body: { status: 'Teleported' } });
      assert.equal(status.status, 400);
      assert.equal(status.body.errors[0].code, 'INVALID_STATUS');
      const carrier = await call(sim, path, {
        method: 'PUT',
        body: { carrierId: '11111111-2222-4333-8444-555555555555' },
      });
      assert.equal(carrier.status, 400);
      assert.equal(carrier.body.errors[0].code, 'INVALID_CARRIER');
      for (const body of [[1, 2], 'text']) {
        assert.equal((await call(sim, path, { method: 'PUT', body })).status, 400);
      }
      const notJson = await fetch(`${sim.url}${path}`, {
        method: 'PUT',
        headers: { 'X-Plex-Connect-Api-Key': KEY, 'content-type': 'application/json' },
        body: '{"trackingNumber":',
      });
      assert.equal(notJson.status, 400);
      assert.equal(sim.getShipper(order!.shipperId)?.trackingNumber, undefined, 'nothing was written');
      assert.equal(sim.counters().writes, 0);

      // shipDate is not a field of the update request: Plex ignores it, and the counter shows it.
      const ignored = ok(
        await call(sim, path, {
          method: 'PUT',
          body: { trackingNumber: '1234', shipDate: '2026-11-21T10:00Z' },
        }),
      ).body;
      assert.equal(ignored.shipDate, undefined);
      assert.deepEqual(sim.counters().ignoredWriteFields, { shipDate: 1 });
    }));

  it('POST .../ship marks the shipper Shipped with a ship date and ships its releases; PUT on the order keeps a note', () =>
    withSim({ orders: 1 }, async (sim) => {
      const [order] = sim.orders();
      const shipped = ok(
        await call(sim, `/shipping/v1-beta1/customer-shippers/${order!.shipperId}/ship`, { method: 'POST' }),
      ).body;
      assert.equal(shipped.status, 'Shipped');
      assert.ok(Date.parse(shipped.shipDate) > 0);
      const lines = ok(await call(sim, `/shipping/v1/customer-shippers/${order!.shipperId}/lines`)).body;
      for (const line of lines) {
        const release = ok(await call(sim, `/sales/v1/releases/${line.releaseId}`)).body;
        assert.equal(release.status, 'Shipped');
        assert.equal(release.quantityShipped, release.quantity);
      }
      const twice = await call(sim, `/shipping/v1-beta1/customer-shippers/${order!.shipperId}/ship`, {
        method: 'POST',
      });
      assert.equal(twice.status, 400);
      assert.equal(twice.body.errors[0].code, 'SHIPPER_ALREADY_SHIPPED');

      const before = ok(await call(sim, `/sales/v1/orders/${order!.orderKey}`)).body;
      const noted = ok(
        await call(sim, `/sales/v1/orders/${order!.orderKey}`, {
          method: 'PUT',
          body: { note: 'FedEx 794612345678 delivered 2026-11-23' },
        }),
      ).body;
      assert.equal(noted.note, 'FedEx 794612345678 delivered 2026-11-23');
      assert.ok(Date.parse(noted.modifiedDate) > Date.parse(before.modifiedDate));
      const badOrder = await call(sim, `/sales/v1/orders/${order!.orderKey}`, {
        method: 'PUT',
        body: { note: 5 },
      });
      assert.equal(badOrder.status, 400);
    }));
});

describe('Plex simulator: rate limit and faults', () => {
  it('the limit is a sliding 60-s window per key: a call leaves it 60 s after it was counted', () => {
    let now = 1_000_000;
    const limiter = new MinuteLimiter(3, () => now);
    const at = (t: number, key = 'k') => {
      now = 1_000_000 + t;
      return limiter.take(key);
    };
    assert.deepEqual([at(0), at(10), at(20), at(30)], [true, true, true, false]);
    assert.equal(at(30, 'other'), true, 'each key has its own window');
    assert.equal(at(59_999), false);
    assert.equal(at(60_000), true, 'the call at 0 has left');
    assert.equal(at(60_005), false, 'the refused calls were not counted, the ones at 10 and 20 still are');
    assert.equal(at(60_011), true);
    // Thousands of calls later the window still holds exactly the last minute's.
    let taken = 0;
    const big = new MinuteLimiter(5000, () => now);
    for (let t = 0; t < 180_000; t += 5) {
      now = t;
      if (big.take('k')) taken++;
    }
    // 200 calls a second against 5,000 a minute: each minute's first 25 s fill the window.
    assert.equal(taken, 3 * 5000);
  });

  it('answers 429 once a key has made rateLimitPerMinute calls; Retry-After only as a knob', () =>
    withSim(
      { orders: 1, rateLimitPerMinute: 5, keys: [{ apiKey: KEY }, { apiKey: 'second-key' }] },
      async (sim) => {
        for (let i = 0; i < 5; i++) ok(await call(sim, '/sales/v1/orders'));
        const limited = await call(sim, '/sales/v1/orders');
        assert.equal(limited.status, 429);
        assert.equal(limited.headers.get('retry-after'), null);
        assert.equal(typeof limited.body.message, 'string');
        ok(await call(sim, '/sales/v1/orders', { key: 'second-key' }));
        sim.setLimits({ retryAfterSeconds: 30 });
        const withHeader = await call(sim, '/sales/v1/orders');
        assert.equal(withHeader.status, 429);
        assert.equal(withHeader.headers.get('retry-after'), '30');
        assert.equal(sim.counters().tooManyRequests, 2);
        // Bad keys are refused before they count against anyone's limit.
        assert.equal((await call(sim, '/sales/v1/orders', { key: 'wrong' })).status, 401);
      },
    ));

  it('the default limit is 200 calls per minute', () =>
    withSim({}, async (sim) => {
      for (let i = 0; i < 200; i++) {
        const answer = await call(sim, '/mdm/v1/tenants');
        assert.equal(answer.status, 200, `call ${i + 1}`);
      }
      assert.equal((await call(sim, '/mdm/v1/tenants')).status, 429);
    }));

  it('permission faults per resource: 401, 403, and empty answers where data was expected', () =>
    withSim({ orders: 2 }, async (sim) => {
      const [order] = sim.orders();
      const lines = ok(await call(sim, `/sales/v1/orders/${order!.orderKey}/lines`)).body;
      const releasesPath = `/sales/v1/releases?orderLineIds=${lines[0].id}`;
      assert.equal(ok(await call(sim, releasesPath)).body.length, 1);

      sim.setFaults({ permissions: { releases: 'empty', customers: 'empty' } });
      assert.deepEqual(ok(await call(sim, releasesPath)).body, []);
      const customer = await call(sim, `/mdm/v1/customers/${order!.customerId}`);
      assert.equal(customer.status, 404);
      assert.equal(customer.body.code, 'RESOURCE_NOT_FOUND');
      ok(await call(sim, `/sales/v1/orders/${order!.orderKey}`));

      sim.setFaults({
        permissions: { releases: 'forbidden', customers: null, shipperWrites: 'unauthenticated' },
      });
      const forbidden = await call(sim, releasesPath);
      assert.equal(forbidden.status, 403);
      assert.equal(typeof forbidden.body.code, 'string');
      assert.equal(typeof forbidden.body.message, 'string');
      ok(await call(sim, `/mdm/v1/customers/${order!.customerId}`));
      const write = await call(sim, `/shipping/v1-beta1/customer-shippers/${order!.shipperId}`, {
        method: 'PUT',
        body: { trackingNumber: '1' },
      });
      assert.equal(write.status, 401);
      assert.deepEqual(write.body, NOT_AUTHENTICATED);
      ok(await call(sim, `/shipping/v1/customer-shippers/${order!.shipperId}`));

      const viaAdmin = await admin(sim, 'faults', { permissions: { releases: null, parts: 'forbidden' } });
      assert.equal(viaAdmin.status, 200);
      assert.deepEqual(viaAdmin.body.permissions, { parts: 'forbidden', shipperWrites: 'unauthenticated' });
      ok(await call(sim, releasesPath));
      assert.equal((await call(sim, '/mdm/v1/parts')).status, 403);
      assert.throws(() => sim.setFaults({ permissions: { nonsense: 'empty' } as never }), RangeError);
      assert.equal((await admin(sim, 'faults', { permissions: { orders: 'sometimes' } })).status, 400);
    }));

  it('general faults: errorRate answers 500 without processing; a timed-out write is still applied', () =>
    withSim({ orders: 1 }, async (sim) => {
      const [order] = sim.orders();
      const path = `/shipping/v1-beta1/customer-shippers/${order!.shipperId}`;
      sim.setFaults({ errorRate: 1 });
      const failed = await call(sim, path, { method: 'PUT', body: { trackingNumber: 'lost' } });
      assert.equal(failed.status, 500);
      assert.equal(sim.getShipper(order!.shipperId)?.trackingNumber, undefined);

      sim.setFaults({ errorRate: 0, timeoutRate: 1, timeoutDelayMs: 0 });
      await assert.rejects(
        fetch(`${sim.url}${path}`, {
          method: 'PUT',
          headers: { 'X-Plex-Connect-Api-Key': KEY, 'content-type': 'application/json' },
          body: JSON.stringify({ trackingNumber: '794600000001' }),
          signal: AbortSignal.timeout(300),
        }),
      );
      assert.equal(sim.getShipper(order!.shipperId)?.trackingNumber, '794600000001');
      sim.setFaults({ timeoutRate: 0 });
      ok(await call(sim, '/sales/v1/orders'));
    }));
});

describe('Plex simulator: seeded demo orders', () => {
  it('is deterministic for a seed, and a different seed gives different orders', async () => {
    const runs: SeededOrder[][] = [];
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const addresses: any[][] = [];
    for (const seed of [5, 5, 6]) {
      await withSim({}, async (sim) => {
        const orders = sim.seedOrders(20, { seed });
        runs.push(orders);
        const list = [];
        for (const o of orders) {
          const a = ok(
            await call(sim, `/mdm/v1/customers/${o.customerId}/addresses/${o.shipToAddressId}`),
          ).body;
          delete a.createdDate;
          delete a.modifiedDate;
          list.push(a);
        }
        addresses.push(list);
      });
    }
    assert.deepEqual(runs[0], runs[1]);
    assert.deepEqual(addresses[0], addresses[1]);
    assert.notDeepEqual(
      runs[0]!.map((o) => o.orderKey),
      runs[2]!.map((o) => o.orderKey),
    );
  });

  it('seeds ready-to-ship orders in seven countries with FedEx ship-via codes; exactly invalidShare of them invalid', () =>
    withSim({ rateLimitPerMinute: 10_000 }, async (sim) => {
      const orders = sim.seedOrders(100, { seed: 21, invalidShare: 0.06 });
      assert.equal(orders.length, 100);
      const invalid = orders.filter((o) => o.invalid);
      assert.equal(invalid.length, 6);
      assert.deepEqual([...new Set(invalid.map((o) => o.invalid))].sort(), [
        'country',
        'hs_code',
        'postal_code',
        'weight',
      ]);
      // Only an order that leaves the shipper's country (Memphis, US) needs an HS code.
      assert.ok(invalid.filter((o) => o.invalid === 'hs_code').every((o) => o.country !== 'US'));
      assert.deepEqual([...new Set(orders.map((o) => o.country))].sort(), [
        'CA',
        'DE',
        'FR',
        'GB',
        'MX',
        'NL',
        'US',
      ]);
      assert.ok(orders.every((o) => (SHIP_VIA as readonly string[]).includes(o.shipVia)));
      assert.equal(new Set(orders.map((o) => o.orderNumber)).size, 100);

      for (const o of orders) {
        const order = ok(await call(sim, `/sales/v1/orders/${o.orderKey}`)).body;
        assert.equal(order.status, 'Open');
        assert.equal(order.carrier, o.shipVia);
        assert.equal(order.shipToAddressId, o.shipToAddressId);
        const shipper = ok(await call(sim, `/shipping/v1/customer-shippers/${o.shipperId}`)).body;
        assert.equal(shipper.status, 'Open');
        assert.equal(shipper.trackingNumber, undefined);
        assert.equal(shipper.customerAddressId, o.shipToAddressId);

        const address = ok(
          await call(sim, `/mdm/v1/customers/${o.customerId}/addresses/${o.shipToAddressId}`),
        ).body;
        const problems = validateAddress(canonical(address), 'recipient').map((p) => p.code);
        // FedEx takes at most 35 characters per street line.
        assert.ok(
          String(address.address)
            .split('\n')
            .every((line: string) => line.length <= 35),
          address.address,
        );
        const weights = [];
        const hsCodes = [];
        for (const line of ok(await call(sim, `/sales/v1/orders/${o.orderKey}/lines`)).body) {
          const details = ok(
            await call(sim, `/shipping/v1-beta1/inventory/parts/${line.partId}/shipping-details`),
          ).body;
          weights.push(details.partPieceWeight);
          hsCodes.push(details.harmonizedTariffCode);
          if (details.partPieceWeight !== undefined) assert.ok(['lbs', 'kg'].includes(details.weightUnit));
          if (details.harmonizedTariffCode !== undefined)
            assert.match(details.harmonizedTariffCode, /^\d{4}\.\d{2}\.\d{4}$/);
          // Each line has its price as Plex keeps it: a record of its own, with its currency.
          const prices = ok(await call(sim, `/sales/v1/orders/${o.orderKey}/lines/${line.id}/prices`)).body;
          assert.equal(prices.length, 1);
          assert.equal(prices[0].orderLineId, line.id);
          assert.ok(prices[0].price > 0 && prices[0].currencyCode === 'USD' && prices[0].active);
        }
        assert.equal(
          hsCodes.some((c) => c === undefined),
          o.invalid === 'hs_code',
          o.orderNumber,
        );
        const missingWeight = weights.some((w) => w === undefined);
        if (o.invalid === 'postal_code') assert.deepEqual(problems, ['postal_code_format'], o.orderNumber);
        else if (o.invalid === 'country') assert.deepEqual(problems, ['unknown_country'], o.orderNumber);
        else assert.deepEqual(problems, [], `${o.orderNumber} ${JSON.stringify(address)}`);
        assert.equal(missingWeight, o.invalid === 'weight', o.orderNumber);
      }
      const none = sim.seedOrders(10, { seed: 1, invalidShare: 0 });
      assert.equal(none.filter((o) => o.invalid).length, 0);
      assert.throws(() => sim.seedOrders(5, { invalidShare: 2 }), RangeError);
    }));

  it('fixOrder repairs each kind of invalid order, with a new modifiedDate on the repaired record', () =>
    withSim({}, async (sim) => {
      const orders = sim.seedOrders(50, { seed: 8, invalidShare: 0.08 });
      const invalid = orders.filter((o) => o.invalid);
      assert.equal(invalid.length, 4);
      for (const o of invalid) {
        const addressPath = `/mdm/v1/customers/${o.customerId}/addresses/${o.shipToAddressId}`;
        const before = ok(await call(sim, addressPath)).body;
        const fixed =
          o.invalid === 'postal_code'
            ? sim.fixOrder(o.orderNumber)
            : (await admin(sim, 'fix', { orderKey: o.orderKey })).body;
        assert.equal(fixed.fixed, true);
        const after = ok(await call(sim, addressPath)).body;
        assert.deepEqual(validateAddress(canonical(after), 'recipient'), []);
        if (o.invalid === 'weight' || o.invalid === 'hs_code') {
          assert.equal(after.modifiedDate, before.modifiedDate);
          for (const line of ok(await call(sim, `/sales/v1/orders/${o.orderKey}/lines`)).body) {
            const details = ok(
              await call(sim, `/shipping/v1-beta1/inventory/parts/${line.partId}/shipping-details`),
            ).body;
            assert.ok(details.partPieceWeight > 0);
            assert.match(details.harmonizedTariffCode, /^\d{4}\./);
          }
        } else {
          assert.ok(Date.parse(after.modifiedDate) > Date.parse(before.modifiedDate));
          assert.equal(after.country, o.country);
        }
      }
      assert.throws(() => sim.fixOrder('no-such-order'), RangeError);
      assert.equal((await admin(sim, 'fix', { orderKey: 'no-such-order' })).status, 400);
    }));

  it('updateOrder changes what Plex would show and moves the order modifiedDate', () =>
    withSim({ orders: 2 }, async (sim) => {
      const [o] = sim.orders();
      const before = ok(await call(sim, `/sales/v1/orders/${o!.orderKey}`)).body;
      sim.updateOrder(o!.orderKey, {
        order: { carrier: 'FDX-OVERNIGHT', note: 'rush' },
        shipTo: { zip: '10115', city: 'Berlin', country: 'DE', state: undefined },
        releaseQuantity: 7,
      });
      const after = ok(await call(sim, `/sales/v1/orders/${o!.orderKey}`)).body;
      assert.equal(after.carrier, 'FDX-OVERNIGHT');
      assert.equal(after.note, 'rush');
      assert.ok(Date.parse(after.modifiedDate) > Date.parse(before.modifiedDate));
      const address = ok(
        await call(sim, `/mdm/v1/customers/${o!.customerId}/addresses/${o!.shipToAddressId}`),
      ).body;
      assert.equal(address.city, 'Berlin');
      const lines = ok(await call(sim, `/shipping/v1/customer-shippers/${o!.shipperId}/lines`)).body;
      assert.ok(lines.every((l: { quantity: number }) => l.quantity === 7));
      const updated = await admin(sim, 'orders/update', {
        orderKey: o!.orderNumber,
        shipper: { status: 'Hold' },
      });
      assert.equal(updated.status, 200);
      assert.equal(sim.getShipper(o!.orderKey)?.status, 'Hold');
    }));

  it('admin endpoints: seed, orders, shippers, counters, state, reset', () =>
    withSim({ orders: 2, seed: 4 }, async (sim) => {
      const seeded = await admin(sim, 'seed', { count: 3, seed: 9, invalidShare: 0 });
      assert.equal(seeded.status, 200);
      assert.equal(seeded.body.length, 3);
      assert.equal((await admin(sim, 'orders')).body.length, 5);
      const shippers = (await admin(sim, 'shippers')).body;
      assert.equal(shippers.length, 5);
      const one = (await admin(sim, `shippers?orderKey=${seeded.body[0].orderKey}`)).body;
      assert.equal(one.id, seeded.body[0].shipperId);
      ok(await call(sim, '/sales/v1/orders'));
      await call(sim, '/sales/v1/orders', { key: 'wrong' });
      const counters = (await admin(sim, 'counters')).body;
      assert.equal(counters.callsByEndpoint['GET /sales/v1/orders'], 2);
      assert.deepEqual(counters.responsesByStatus, { 200: 1, 401: 1 });
      const state = (await admin(sim, 'state')).body;
      assert.equal(state.limits.rateLimitPerMinute, 200);
      assert.equal(state.tenants[0].id, DEMO_TENANT.id);
      const limits = await admin(sim, 'limits', { rateLimitPerMinute: 1, unsubscribedStatus: 404 });
      assert.deepEqual(limits.body, { rateLimitPerMinute: 1, retryAfterSeconds: 0, unsubscribedStatus: 404 });
      assert.equal((await admin(sim, 'limits', { unsubscribedStatus: 403 })).status, 400);
      assert.equal((await admin(sim, 'nope')).status, 404);

      const firstKeys = sim.orders().slice(0, 2);
      assert.equal((await admin(sim, 'reset', {})).status, 200);
      assert.deepEqual(sim.orders(), firstKeys, 'reset re-seeds the start-up orders exactly');
      assert.deepEqual(sim.counters().callsByEndpoint, {});
      ok(await call(sim, '/sales/v1/orders'));
      ok(await call(sim, '/sales/v1/orders'));
    }));
});

import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  DEMO_CLIENT,
  startFedexSimulator,
  type FedexSimOptions,
  type FedexSimulator,
} from '../../simulators/fedex';
import { ACCOUNT, HOUR, call, requestToken, shipRequest, token, trackRequest } from './fedex-helpers';

/** Start a simulator for one test and always stop it. */
async function withSim(opts: FedexSimOptions, fn: (sim: FedexSimulator) => Promise<void>): Promise<void> {
  const sim = await startFedexSimulator({ seed: 42, clockSpeed: 0, ...opts });
  try {
    await fn(sim);
  } finally {
    await sim.stop();
  }
}

async function ship(sim: FedexSimulator, accessToken: string, req = shipRequest()) {
  const answer = await call(sim, accessToken, '/ship/v1/shipments', req);
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  return answer.body.output.transactionShipments[0];
}

async function status(sim: FedexSimulator, accessToken: string, trackingNumber: string) {
  const answer = await call(sim, accessToken, '/track/v1/trackingnumbers', trackRequest([trackingNumber]));
  assert.equal(answer.status, 200);
  return answer.body.output.completeTrackResults[0].trackResults[0];
}

async function admin(sim: FedexSimulator, route: string, body?: unknown) {
  const res = await fetch(`${sim.url}/__admin/${route}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** Noon GMT: the start of a fixed 10-second window, 12 hours from either GMT midnight. */
const NOON = Date.UTC(2026, 2, 10, 12, 0, 0);

/**
 * The simulator's real-time clock (token lifetimes, throttle, lockouts, storms, rate windows),
 * held still and moved only by the test, so no window depends on how fast the machine runs.
 */
function handClock(start = NOON) {
  let t = start;
  return {
    now: () => t,
    advance(ms: number) {
      t += ms;
    },
  };
}

describe('FedEx simulator: OAuth', () => {
  it('issues bearer tokens that work until their TTL, then answer 401 NOT.AUTHORIZED.ERROR', () => {
    const clock = handClock();
    return withSim({ tokenTtlSeconds: 1, now: clock.now }, async (sim) => {
      const issued = await requestToken(sim);
      assert.equal(issued.status, 200);
      assert.equal(issued.body.token_type, 'bearer');
      assert.equal(issued.body.expires_in, 1);
      assert.equal(issued.body.scope, 'CXS');
      const ok = await call(sim, issued.body.access_token, '/track/v1/trackingnumbers', trackRequest(['1']));
      assert.equal(ok.status, 200);
      clock.advance(999);
      const last = await call(
        sim,
        issued.body.access_token,
        '/track/v1/trackingnumbers',
        trackRequest(['1']),
      );
      assert.equal(last.status, 200, 'still inside its lifetime');
      clock.advance(1);
      const expired = await call(
        sim,
        issued.body.access_token,
        '/track/v1/trackingnumbers',
        trackRequest(['1']),
      );
      assert.equal(expired.status, 401);
      assert.equal(expired.body.errors[0].code, 'NOT.AUTHORIZED.ERROR');
      assert.match(expired.body.errors[0].message, /Access token expired/);
      assert.match(expired.body.transactionId, /^[0-9a-f-]{36}$/);
    });
  });

  it('rejects unknown tokens, bad credentials and wrong child keys; accepts the child-key grants', () => {
    const clock = handClock();
    return withSim({ now: clock.now }, async (sim) => {
      const unknown = await call(sim, 'made-up', '/track/v1/trackingnumbers', trackRequest(['1']));
      assert.equal(unknown.status, 401);
      const bad = await requestToken(sim, {
        grant_type: 'client_credentials',
        client_id: DEMO_CLIENT.clientId,
        client_secret: 'wrong',
      });
      assert.equal(bad.status, 401);
      assert.equal(bad.body.errors[0].code, 'NOT.AUTHORIZED.ERROR');
      assert.match(bad.body.errors[0].message, /client credentials were not valid/);
      assert.ok(!JSON.stringify(bad.body).includes('wrong'), 'the secret is not echoed');
      clock.advance(1000); // stay under the default 3 per second throttle
      for (const grant_type of ['csp_credentials', 'client_pc_credentials']) {
        const child = await requestToken(sim, {
          grant_type,
          client_id: DEMO_CLIENT.clientId,
          client_secret: DEMO_CLIENT.clientSecret,
          child_Key: DEMO_CLIENT.childKey!,
          child_secret: DEMO_CLIENT.childSecret!,
        });
        assert.equal(child.status, 200, grant_type);
      }
      const wrongChild = await requestToken(sim, {
        grant_type: 'csp_credentials',
        client_id: DEMO_CLIENT.clientId,
        client_secret: DEMO_CLIENT.clientSecret,
        child_Key: DEMO_CLIENT.childKey!,
        child_secret: 'nope',
      });
      assert.equal(wrongChild.status, 401);
    });
  });

  it('throttles token requests per client and counts them per credential', () => {
    const clock = handClock();
    return withSim({ authThrottle: { limit: 2, windowSeconds: 60 }, now: clock.now }, async (sim) => {
      assert.equal((await requestToken(sim)).status, 200);
      assert.equal((await requestToken(sim)).status, 200);
      const third = await requestToken(sim);
      assert.equal(third.status, 429);
      // another client has its own budget
      const other = await requestToken(sim, {
        grant_type: 'client_credentials',
        client_id: 'someone-else',
        client_secret: 'x',
      });
      assert.equal(other.status, 401);
      assert.deepEqual(sim.counters().tokenRequestsByClient, {
        [DEMO_CLIENT.clientId]: 3,
        'someone-else': 1,
      });
      assert.equal(sim.counters().tooManyRequestsSent, 1);
      // the budget comes back when the window has passed, not before
      clock.advance(59_999);
      assert.equal((await requestToken(sim)).status, 429);
      clock.advance(1);
      assert.equal((await requestToken(sim)).status, 200);
    });
  });

  it('locks a client out with 403 after repeated bad credentials, for the configured period', () => {
    const clock = handClock();
    return withSim(
      {
        authLockout: { badAttempts: 3, seconds: 1 },
        authThrottle: { limit: 100, windowSeconds: 1 },
        now: clock.now,
      },
      async (sim) => {
        const bad = {
          grant_type: 'client_credentials',
          client_id: DEMO_CLIENT.clientId,
          client_secret: 'bad',
        };
        for (let i = 0; i < 3; i++) assert.equal((await requestToken(sim, bad)).status, 401);
        const locked = await requestToken(sim); // even good credentials
        assert.equal(locked.status, 403);
        assert.equal(locked.body.errors[0].code, 'FORBIDDEN.ERROR');
        clock.advance(999);
        assert.equal((await requestToken(sim)).status, 403, 'still locked out');
        clock.advance(1);
        assert.equal((await requestToken(sim)).status, 200);
      },
    );
  });
});

describe('FedEx simulator: ship', () => {
  it('creates unique tracking numbers (master + pieces), base64 PDF/ZPL labels, rates by actualRateType, echoes ids', () =>
    withSim({}, async (sim) => {
      const t = await token(sim);
      const answer = await call(
        sim,
        t,
        '/ship/v1/shipments',
        shipRequest({ reference: 'SO-1', packages: 3, rateRequestType: ['LIST'] }),
        {
          headers: { 'x-customer-transaction-id': 'order/erp/SO-1' },
        },
      );
      assert.equal(answer.status, 200);
      assert.equal(answer.body.customerTransactionId, 'order/erp/SO-1');
      const shipment = answer.body.output.transactionShipments[0];
      const pieces = shipment.pieceResponses;
      assert.equal(pieces.length, 3);
      assert.equal(pieces[0].trackingNumber, shipment.masterTrackingNumber);
      for (const p of pieces) {
        assert.match(p.trackingNumber, /^\d{12}$/);
        assert.equal(p.masterTrackingNumber, shipment.masterTrackingNumber);
        assert.deepEqual(p.customerReferences[0], {
          customerReferenceType: 'CUSTOMER_REFERENCE',
          value: 'SO-1',
        });
        const label = Buffer.from(p.packageDocuments[0].encodedLabel, 'base64').toString('latin1');
        assert.ok(label.startsWith('%PDF-1.4') && label.trimEnd().endsWith('%%EOF'));
        assert.ok(label.includes(p.trackingNumber));
      }
      const second = await ship(sim, t, shipRequest({ packages: 2, imageType: 'ZPLII' }));
      const all = [...pieces, ...second.pieceResponses].map(
        (p: { trackingNumber: string }) => p.trackingNumber,
      );
      assert.equal(new Set(all).size, 5);
      const zpl = Buffer.from(second.pieceResponses[0].packageDocuments[0].encodedLabel, 'base64').toString(
        'ascii',
      );
      assert.ok(zpl.startsWith('^XA') && zpl.trimEnd().endsWith('^XZ'));
      assert.equal(second.pieceResponses[0].packageDocuments[0].docType, 'ZPLII');

      const rating = shipment.completedShipmentDetail.shipmentRating;
      const actual = rating.shipmentRateDetails.find(
        (d: { rateType: string }) => d.rateType === rating.actualRateType,
      );
      assert.equal(
        rating.shipmentRateDetails[0].rateType,
        'PAYOR_LIST_SHIPMENT',
        'list first: element 0 is not the actual',
      );
      const pieceSum = pieces.reduce((n: number, p: { netChargeAmount: number }) => n + p.netChargeAmount, 0);
      assert.equal(actual.totalNetCharge, Math.round(pieceSum * 100) / 100);
      assert.ok(actual.totalNetCharge < rating.shipmentRateDetails[0].totalNetCharge);
      assert.equal(actual.currency, 'USD');

      const counters = sim.counters();
      assert.deepEqual(counters.labelsByReference, { 'SO-1': 3, 'PO-SO-1': 3 });
      assert.deepEqual(counters.shipmentsByReference, { 'SO-1': 1, 'PO-SO-1': 1 });
      assert.equal(counters.labels, 5);
    }));

  it('URL_ONLY labels are served for 24 simulated hours', () =>
    withSim({}, async (sim) => {
      const t = await token(sim);
      const shipment = await ship(sim, t, shipRequest({ labelResponseOptions: 'URL_ONLY' }));
      const url = shipment.pieceResponses[0].packageDocuments[0].url as string;
      assert.equal(shipment.pieceResponses[0].packageDocuments[0].encodedLabel, undefined);
      const res = await fetch(url);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'application/pdf');
      assert.ok(
        Buffer.from(await res.arrayBuffer())
          .toString('latin1')
          .startsWith('%PDF'),
      );
      sim.advanceClock(25 * HOUR);
      const gone = await fetch(url);
      assert.equal(gone.status, 404);
      assert.equal(
        ((await gone.json()) as { errors: { code: string }[] }).errors[0]!.code,
        'NOT.FOUND.ERROR',
      );
    }));

  it('validates required fields and enums with FedEx-style 400s', async () =>
    withSim({}, async (sim) => {
      const t = await token(sim);
      const req = shipRequest();
      const broken = structuredClone(req) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
      delete broken.requestedShipment.shipper.address.city;
      broken.requestedShipment.pickupType = 'WHENEVER';
      broken.requestedShipment.requestedPackageLineItems[0].weight.units = 'STONE';
      const answer = await call(sim, t, '/ship/v1/shipments', broken, {
        headers: { 'x-customer-transaction-id': 'c-1' },
      });
      assert.equal(answer.status, 400);
      assert.equal(answer.body.customerTransactionId, 'c-1');
      const fields = answer.body.errors.map(
        (e: { parameterList: { value: string }[] }) => e.parameterList[0]!.value,
      );
      assert.deepEqual(fields.sort(), [
        'requestedShipment.pickupType',
        'requestedShipment.requestedPackageLineItems[0].weight.units',
        'requestedShipment.shipper.address.city',
      ]);
      assert.ok(answer.body.errors.every((e: { code: string }) => e.code === 'INVALID.INPUT.EXCEPTION'));

      const longRef = shipRequest({ reference: 'X'.repeat(41) });
      const tooLong = await call(sim, t, '/ship/v1/shipments', longRef);
      assert.equal(tooLong.status, 400);
      assert.match(
        tooLong.body.errors[0].message,
        /customerReferences\[0\]\.value must be at most 40 characters/,
      );

      const unknownAccount = { ...req, accountNumber: { value: '999999999' } };
      const account = await call(sim, t, '/ship/v1/shipments', unknownAccount);
      assert.equal(account.status, 400);
      assert.equal(account.body.errors[0].code, 'ACCOUNTNUMBER.REGISTRATION.REQUIRED');

      const notJson = await fetch(`${sim.url}/ship/v1/shipments`, {
        method: 'POST',
        headers: { authorization: `Bearer ${t}`, 'content-type': 'application/json' },
        body: '{not json',
      });
      assert.equal(notJson.status, 400);
      assert.equal(sim.counters().shipments, 0);
    }));

  it('cancels before pickup, refuses after pickup, and checks the account and number', () =>
    withSim({}, async (sim) => {
      const t = await token(sim);
      const cancel = (trackingNumber: string, account = ACCOUNT) =>
        call(
          sim,
          t,
          '/ship/v1/shipments/cancel',
          { accountNumber: { value: account }, trackingNumber },
          { method: 'PUT' },
        );
      const first = await ship(sim, t);
      const done = await cancel(first.masterTrackingNumber);
      assert.equal(done.status, 200);
      assert.equal(done.body.output.cancelledShipment, true);
      assert.equal(
        (await cancel(first.masterTrackingNumber)).body.output.cancelledShipment,
        true,
        'idempotent',
      );
      assert.equal((await status(sim, t, first.masterTrackingNumber)).latestStatusDetail.code, 'CA');

      const second = await ship(sim, t);
      assert.equal(
        (await cancel(second.masterTrackingNumber, DEMO_CLIENT.accounts[1])).body.errors[0].code,
        'SHIPMENT.USER.UNAUTHORIZED',
      );
      assert.equal((await cancel('000000000000')).body.errors[0].code, 'TRACKINGNUMBER.ENTERED.INVALID');
      sim.advanceClock(3 * HOUR);
      const late = await cancel(second.masterTrackingNumber);
      assert.equal(late.status, 200);
      assert.equal(late.body.output.cancelledShipment, false);
      assert.equal(sim.counters().cancelledShipments, 1);
    }));
});

describe('FedEx simulator: track', () => {
  it('moves OC -> PU -> IT -> OD -> DL on the simulated clock, with scans, times with offsets and an ETA', () =>
    withSim({}, async (sim) => {
      const t = await token(sim);
      const shipment = await ship(sim, t);
      const seen: string[] = [];
      for (let i = 0; i < 6; i++) {
        const result = await status(sim, t, shipment.masterTrackingNumber);
        if (seen[seen.length - 1] !== result.latestStatusDetail.code)
          seen.push(result.latestStatusDetail.code);
        sim.advanceClock(5 * HOUR);
      }
      assert.deepEqual(seen, ['OC', 'PU', 'IT', 'OD', 'DL']);
      const final = await status(sim, t, shipment.pieceResponses[0].trackingNumber);
      assert.deepEqual(
        final.scanEvents.map((e: { eventType: string }) => e.eventType),
        ['DL', 'OD', 'IT', 'PU', 'OC'],
      );
      for (const e of final.scanEvents) assert.match(e.date, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/);
      assert.equal(final.scanEvents[0].scanLocation.city, 'AUSTIN');
      const types = final.dateAndTimes.map((d: { type: string }) => d.type);
      assert.ok(types.includes('ACTUAL_DELIVERY') && types.includes('ACTUAL_PICKUP'));
    }));

  it('progresses on its own with an accelerated clock and shows the estimated delivery', () =>
    withSim({ clockSpeed: 400_000 }, async (sim) => {
      const t = await token(sim);
      const shipment = await ship(sim, t);
      const early = await status(sim, t, shipment.masterTrackingNumber);
      assert.ok(early.dateAndTimes.some((d: { type: string }) => d.type === 'ESTIMATED_DELIVERY'));
      assert.ok(early.estimatedDeliveryTimeWindow.window.ends);
      await sleep(400); // 24 simulated hours take ~0.22 s at this speed
      assert.equal((await status(sim, t, shipment.masterTrackingNumber)).latestStatusDetail.code, 'DL');
    }));

  it('ends the configured share of shipments in a DE delivery exception', () =>
    withSim({ exceptionShare: 1 }, async (sim) => {
      const t = await token(sim);
      const shipment = await ship(sim, t);
      sim.advanceClock(30 * HOUR);
      const result = await status(sim, t, shipment.masterTrackingNumber);
      assert.equal(result.latestStatusDetail.code, 'DE');
      assert.equal(result.scanEvents[0].exceptionCode, '07');
      assert.ok(result.latestStatusDetail.ancillaryDetails[0].reasonDescription);
    }));

  it('accepts 30 numbers, rejects 31, and reports unknown numbers per number inside a 200', () =>
    withSim({}, async (sim) => {
      const t = await token(sim);
      const shipment = await ship(sim, t);
      const numbers = [
        shipment.masterTrackingNumber,
        ...Array.from({ length: 29 }, (_, i) => `12345678${String(i).padStart(4, '0')}`),
      ];
      const ok = await call(sim, t, '/track/v1/trackingnumbers', trackRequest(numbers));
      assert.equal(ok.status, 200);
      const results = ok.body.output.completeTrackResults;
      assert.equal(results.length, 30);
      assert.equal(results[0].trackResults[0].latestStatusDetail.code, 'OC');
      assert.equal(results[1].trackResults[0].error.code, 'TRACKING.TRACKINGNUMBER.NOTFOUND');
      assert.equal(results[1].trackingNumber, numbers[1]);
      const tooMany = await call(sim, t, '/track/v1/trackingnumbers', trackRequest([...numbers, '1']));
      assert.equal(tooMany.status, 400);
      assert.equal(tooMany.body.errors[0].code, 'TRACKING.TRACKINGNUMBERS.LIMITEXCEEDED');
      const empty = await call(sim, t, '/track/v1/trackingnumbers', trackRequest(['']));
      assert.equal(empty.body.errors[0].code, 'TRACKING.TRACKINGNUMBER.EMPTY');
    }));

  it('finds a shipment by customer reference (account or destination), and says NOTFOUND otherwise', () =>
    withSim({}, async (sim) => {
      const t = await token(sim);
      const shipment = await ship(sim, t, shipRequest({ reference: 'SO-77' }));
      const byRef = (info: Record<string, unknown>) =>
        call(sim, t, '/track/v1/referencenumbers', { referencesInformation: info });
      const byAccount = await byRef({ type: 'CUSTOMER_REFERENCE', value: 'SO-77', accountNumber: ACCOUNT });
      assert.equal(
        byAccount.body.output.completeTrackResults[0].trackingNumber,
        shipment.masterTrackingNumber,
      );
      const byPo = await byRef({
        type: 'PURCHASE_ORDER',
        value: 'PO-SO-77',
        destinationCountryCode: 'US',
        destinationPostalCode: '78701',
      });
      assert.equal(byPo.body.output.completeTrackResults[0].trackingNumber, shipment.masterTrackingNumber);
      const wrongType = await byRef({ type: 'INVOICE', value: 'SO-77', accountNumber: ACCOUNT });
      assert.equal(
        wrongType.body.output.completeTrackResults[0].trackResults[0].error.code,
        'TRACKING.REFERENCENUMBER.NOTFOUND',
      );
      const incomplete = await byRef({ value: 'SO-77' });
      assert.equal(incomplete.status, 400);
      assert.equal(incomplete.body.errors[0].code, 'TRACKING.REFERENCEDATA.INCOMPLETE');
    }));
});

describe('FedEx simulator: rate, address', () => {
  it('quotes rates and resolves addresses', () =>
    withSim({}, async (sim) => {
      const t = await token(sim);
      const rate = await call(sim, t, '/rate/v1/rates/quotes', {
        accountNumber: { value: ACCOUNT },
        requestedShipment: {
          shipper: { address: { postalCode: '38117', countryCode: 'US' } },
          recipient: { address: { postalCode: '78701', countryCode: 'US' } },
          pickupType: 'DROPOFF_AT_FEDEX_LOCATION',
          rateRequestType: ['ACCOUNT', 'LIST'],
          requestedPackageLineItems: [{ weight: { units: 'LB', value: 10 } }],
        },
      });
      assert.equal(rate.status, 200);
      const ground = rate.body.output.rateReplyDetails.find(
        (r: { serviceType: string }) => r.serviceType === 'FEDEX_GROUND',
      );
      assert.deepEqual(
        ground.ratedShipmentDetails.map((d: { rateType: string }) => d.rateType),
        ['ACCOUNT', 'LIST'],
      );
      assert.equal(ground.ratedShipmentDetails[0].shipmentRateDetail.currency, 'USD');
      const missing = await call(sim, t, '/rate/v1/rates/quotes', {
        accountNumber: { value: ACCOUNT },
        requestedShipment: {},
      });
      assert.equal(missing.status, 400);

      const av = await call(sim, t, '/address/v1/addresses/resolve', {
        addressesToValidate: [
          {
            address: {
              streetLines: ['1 Elm St', 'Apt 4'],
              city: 'Austin',
              stateOrProvinceCode: 'TX',
              postalCode: '78701-1234',
              countryCode: 'US',
            },
          },
        ],
      });
      const resolved = av.body.output.resolvedAddresses[0];
      assert.equal(resolved.classification, 'RESIDENTIAL');
      assert.deepEqual(resolved.parsedPostalCode, { base: '78701', addOn: '1234', deliveryPoint: '' });
      assert.equal(resolved.attributes.Resolved, true);
    }));
});

describe('FedEx simulator: rate limits', () => {
  it('answers 429 past the per-window limit until the next 10-second window', () => {
    const clock = handClock(NOON + 4000); // 4 s into a fixed window: 6 s of it are left
    return withSim({ rateLimitPer10s: 5, now: clock.now }, async (sim) => {
      const t = await token(sim);
      const track = async () => (await call(sim, t, '/track/v1/trackingnumbers', trackRequest(['1']))).status;
      const statuses: number[] = [];
      for (let i = 0; i < 7; i++) statuses.push(await track());
      assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429, 429]);
      const limited = await call(sim, t, '/track/v1/trackingnumbers', trackRequest(['1']));
      assert.match(limited.body.errors[0].message, /too many requests in a short duration/);
      assert.equal(sim.counters().tooManyRequestsSent, 3);
      clock.advance(5999); // the last millisecond of the window
      assert.equal(await track(), 429);
      clock.advance(1); // the next window, 6 s (not 10) after the burst: the windows are fixed
      const next: number[] = [];
      for (let i = 0; i < 6; i++) next.push(await track());
      assert.deepEqual(next, [200, 200, 200, 200, 200, 429]);
    });
  });

  it('has a daily quota knob with its own 429 message', () => {
    const clock = handClock();
    return withSim({ dailyQuota: 2, now: clock.now }, async (sim) => {
      const t = await token(sim);
      for (let i = 0; i < 2; i++)
        assert.equal((await call(sim, t, '/track/v1/trackingnumbers', trackRequest(['1']))).status, 200);
      const over = await call(sim, t, '/track/v1/trackingnumbers', trackRequest(['1']));
      assert.equal(over.status, 429);
      assert.match(over.body.errors[0].message, /Daily transaction quota exceeded/);
      // the quota resets at 00:00 GMT, and not before (the token lives 3600 s: get a fresh one)
      clock.advance(12 * HOUR * 1000 - 1);
      const fresh = await token(sim);
      const late = await call(sim, fresh, '/track/v1/trackingnumbers', trackRequest(['1']));
      assert.equal(late.status, 429);
      assert.match(late.body.errors[0].message, /Daily transaction quota exceeded/);
      clock.advance(1);
      assert.equal((await call(sim, fresh, '/track/v1/trackingnumbers', trackRequest(['1']))).status, 200);
    });
  });
});

describe('FedEx simulator: AIV webhook pushes', () => {
  it('pushes every status change signed with fdx-signature = base64 HMAC-SHA256(raw body, security token)', async () => {
    const received: { body: string; signature: string }[] = [];
    const receiver = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({
          body: Buffer.concat(chunks).toString('utf8'),
          signature: String(req.headers['fdx-signature']),
        });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const securityToken = 'Abcdefghijklmnopqrstuvwxyz0123';
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/fedex/aiv`;
    try {
      await withSim({ webhook: { url, securityToken } }, async (sim) => {
        const t = await token(sim);
        const shipment = await ship(sim, t);
        sim.advanceClock(30 * HOUR);
        await sim.flushWebhooks();
        assert.equal(received.length, 5);
        const codes = received.map((r) => {
          const expected = createHmac('sha256', securityToken).update(r.body).digest();
          const given = Buffer.from(r.signature, 'base64');
          assert.ok(
            given.length === expected.length && timingSafeEqual(given, expected),
            'signature verifies',
          );
          const payload = JSON.parse(r.body);
          const result = payload.output.completeTrackResults[0];
          assert.equal(result.trackingNumber, shipment.masterTrackingNumber);
          return result.trackResults[0].latestStatusDetail.code;
        });
        assert.deepEqual(codes, ['OC', 'PU', 'IT', 'OD', 'DL']);
        const forged = createHmac('sha256', 'another-token').update(received[0]!.body).digest('base64');
        assert.notEqual(forged, received[0]!.signature);

        received.length = 0;
        sim.setWebhook({ url, securityToken }, { outOfOrder: true });
        await ship(sim, t);
        sim.advanceClock(30 * HOUR);
        await sim.flushWebhooks();
        const order = received.map(
          (r) => JSON.parse(r.body).output.completeTrackResults[0].trackResults[0].latestStatusDetail.code,
        );
        // OC goes out when the label is created; the four changes found in one tick arrive newest first.
        assert.deepEqual(order, ['OC', 'DL', 'OD', 'IT', 'PU']);
        assert.ok(sim.counters().webhookDeliveries.every((d) => d.status === 200));
      });
    } finally {
      await new Promise((r) => receiver.close(r));
    }
  });
});

/** An HTTP receiver that answers 200 and keeps each push's tracking number and latest status. */
async function pushReceiver() {
  const pushes: { trackingNumber: string; code: string }[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const result = JSON.parse(Buffer.concat(chunks).toString('utf8')).output.completeTrackResults[0];
      pushes.push({
        trackingNumber: result.trackingNumber,
        code: result.trackResults[0].latestStatusDetail.code,
      });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    pushes,
    webhook: {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/fedex/aiv`,
      securityToken: 'Abcdefghijklmnopqrstuvwxyz0123',
    },
    /** The codes pushed for one tracking number since the last `take`, in arrival order. */
    take(trackingNumber: string): string[] {
      const mine = pushes.filter((p) => p.trackingNumber === trackingNumber).map((p) => p.code);
      pushes.splice(0, pushes.length, ...pushes.filter((p) => p.trackingNumber !== trackingNumber));
      return mine;
    },
    close: () => new Promise((r) => server.close(r)),
  };
}

describe('FedEx simulator: AIV pushes switched on and off', () => {
  it('a destination set later gets only the changes after it; switched off and on, none of those in between', async () => {
    const receiver = await pushReceiver();
    try {
      await withSim({}, async (sim) => {
        const t = await token(sim);
        const early = await ship(sim, t); // PRIORITY_OVERNIGHT: PU +2 h, IT +8 h, OD +20 h, DL +24 h
        sim.advanceClock(10 * HOUR); // OC, PU and IT happen while nothing is configured
        sim.setWebhook(receiver.webhook);
        await sim.flushWebhooks();
        assert.deepEqual(receiver.take(early.masterTrackingNumber), []);

        sim.advanceClock(11 * HOUR);
        await sim.flushWebhooks();
        assert.deepEqual(receiver.take(early.masterTrackingNumber), ['OD']);
        sim.advanceClock(4 * HOUR);
        await sim.flushWebhooks();
        assert.deepEqual(receiver.take(early.masterTrackingNumber), ['DL']);

        // Off: a whole shipment's life passes unseen; on again, nothing of it is pushed late.
        sim.setWebhook(null);
        const unseen = await ship(sim, t);
        sim.advanceClock(30 * HOUR);
        sim.setWebhook(receiver.webhook);
        sim.advanceClock(30 * HOUR);
        await sim.flushWebhooks();
        assert.deepEqual(receiver.pushes, []);
        assert.deepEqual(
          sim.shipments().find((s) => s.masterTrackingNumber === unseen.masterTrackingNumber)?.status,
          'DL',
        );

        // Still pushing: a new label's whole life arrives, one change per clock step.
        const late = await ship(sim, t);
        for (const hours of [1, 2, 6, 12, 4]) {
          await sim.flushWebhooks();
          sim.advanceClock(hours * HOUR);
        }
        await sim.flushWebhooks();
        assert.deepEqual(receiver.take(late.masterTrackingNumber), ['OC', 'PU', 'IT', 'OD', 'DL']);

        // A cancel before pickup is pushed at once, though no planned event is due for hours.
        const cancelled = await ship(sim, t);
        sim.advanceClock(HOUR);
        const answer = await call(
          sim,
          t,
          '/ship/v1/shipments/cancel',
          { accountNumber: { value: ACCOUNT }, trackingNumber: cancelled.masterTrackingNumber },
          { method: 'PUT' },
        );
        assert.equal(answer.body.output.cancelledShipment, true);
        await sim.flushWebhooks();
        assert.deepEqual(receiver.take(cancelled.masterTrackingNumber), ['OC', 'CA']);
        sim.advanceClock(30 * HOUR);
        await sim.flushWebhooks();
        assert.deepEqual(receiver.pushes, [], 'a cancelled shipment goes no further');
      });
    } finally {
      await receiver.close();
    }
  });

  it('pushes from the background tick as the clock runs, without any request or advance', async () => {
    const receiver = await pushReceiver();
    try {
      await withSim({ webhook: receiver.webhook }, async (sim) => {
        const shipment = await ship(sim, await token(sim));
        await sim.flushWebhooks();
        assert.deepEqual(receiver.take(shipment.masterTrackingNumber), ['OC']);
        sim.setClockSpeed(1000 * HOUR); // 1,000 simulated hours per real second
        // Each round sleeps at least 50 ms of real time, so 100 rounds let the clock run at least
        // 5,000 simulated hours however busy the machine is (no deadline on the wall clock).
        for (let round = 0; receiver.pushes.length < 4 && round < 100; round++) {
          await sleep(50);
          await sim.flushWebhooks();
        }
        assert.deepEqual(receiver.take(shipment.masterTrackingNumber), ['PU', 'IT', 'OD', 'DL']);
      });
    } finally {
      await receiver.close();
    }
  });
});

describe('FedEx simulator: admin knobs', () => {
  it('5xx share, latency, timeouts that still create the shipment, storms, lockout, clock, counters and reset', () => {
    const wall = handClock();
    return withSim({ now: wall.now }, async (sim) => {
      const t = await token(sim);
      assert.equal((await admin(sim, 'faults', { errorRate: 1 })).status, 200);
      const failed = await call(sim, t, '/track/v1/trackingnumbers', trackRequest(['1']));
      assert.ok(failed.status === 500 || failed.status === 503);
      assert.match(failed.body.errors[0].code, /INTERNAL.SERVER.ERROR|SERVICE.UNAVAILABLE.ERROR/);

      await admin(sim, 'faults', { errorRate: 0, latencyMs: 150, jitterMs: 0 });
      const started = Date.now();
      await call(sim, t, '/track/v1/trackingnumbers', trackRequest(['1']));
      assert.ok(Date.now() - started >= 140);

      // A timeout: FedEx did the work but the caller never hears back. The counters show it; the
      // caller gives up once they do, still without an answer (no clock decides the order).
      await admin(sim, 'faults', { latencyMs: 0, timeoutRate: 1 });
      const giveUp = new AbortController();
      let answered = false;
      const unanswered = call(sim, t, '/ship/v1/shipments', shipRequest({ reference: 'SO-T' }), {
        signal: giveUp.signal,
      });
      unanswered.then(
        () => (answered = true),
        () => undefined,
      );
      while (sim.counters().shipmentsByReference['SO-T'] !== 1) await sleep(10);
      await sleep(50);
      assert.equal(answered, false, 'created, and no answer');
      giveUp.abort();
      await assert.rejects(unanswered);
      assert.equal(sim.counters().shipmentsByReference['SO-T'], 1);
      await admin(sim, 'faults', { timeoutDelayMs: 200 });
      const lateStart = Date.now();
      const late = await call(sim, t, '/track/v1/trackingnumbers', trackRequest(['1']));
      assert.equal(late.status, 200, 'a late answer still arrives');
      assert.ok(Date.now() - lateStart >= 190);
      await admin(sim, 'faults', { timeoutRate: 0, timeoutDelayMs: 0 });
      assert.equal((await admin(sim, 'faults', { errorRate: 2 })).status, 400);

      const storm = await admin(sim, 'storm', { seconds: 1 });
      assert.equal(storm.body.stormUntil, new Date(NOON + 1000).toISOString());
      assert.equal((await call(sim, t, '/track/v1/trackingnumbers', trackRequest(['1']))).status, 429);
      wall.advance(999);
      assert.equal((await call(sim, t, '/track/v1/trackingnumbers', trackRequest(['1']))).status, 429);
      wall.advance(1);
      assert.equal((await call(sim, t, '/track/v1/trackingnumbers', trackRequest(['1']))).status, 200);

      await admin(sim, 'lockout', { seconds: 60 });
      assert.equal((await requestToken(sim)).status, 403);
      await admin(sim, 'tokens/expire', {});
      assert.equal((await call(sim, t, '/track/v1/trackingnumbers', trackRequest(['1']))).status, 401);

      const before = Date.parse(((await admin(sim, 'state')).body.clock as { now: string }).now);
      const clock = await admin(sim, 'clock', { advanceSeconds: 7200, speed: 10 });
      assert.ok(Date.parse((clock.body as { now: string }).now) - before >= 7_200_000);
      assert.equal((clock.body as { speed: number }).speed, 10);

      const counters = (await admin(sim, 'counters')).body as {
        requestsByEndpoint: Record<string, number>;
        responsesByStatus: Record<string, number>;
      };
      assert.equal(counters.requestsByEndpoint['POST /ship/v1/shipments'], 1);
      assert.ok(counters.responsesByStatus['429']! >= 1);
      const shipments = (await admin(sim, 'shipments')).body as unknown as { customerReferences: string[] }[];
      assert.deepEqual(shipments[0]!.customerReferences, ['SO-T', 'PO-SO-T']);

      await admin(sim, 'reset', {});
      assert.equal(sim.counters().shipments, 0);
      assert.equal((await requestToken(sim)).status, 200, 'reset lifts the lockout');
      assert.equal((await admin(sim, 'nope', {})).status, 404);
    });
  });
});

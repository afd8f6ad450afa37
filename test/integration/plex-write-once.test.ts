import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import pino from 'pino';
import { createPlexClientFactory, plexErpPort } from '../../connectors/plex/port';
import { PlexClient } from '../../connectors/plex/client';
import { PlexUnavailableError } from '../../connectors/plex/errors';
import { toShipperStatusUpdate } from '../../connectors/plex/mapping';
import type { ErpOrder, StatusWriteBack } from '../../domain/order';
import { AuditRepo } from '../../lib/db/repos';
import { unlimited } from '../../lib/ratelimit';
import { DEMO_KEY, startPlexSimulator, type PlexSimulator, type SeededOrder } from '../../simulators/plex';
import { createTestDatabase, type TestDatabase } from '../helpers/db';

// Found by the chaos suite (chaos/): a status write-back whose answer was lost, or whose worker was
// killed after the PUT, was written a second time by the activity's retry; and an attempt that
// waited out a Plex 429 past its start-to-close timeout wrote after its own retry had.

const DELIVERED: StatusWriteBack = {
  status: 'delivered',
  at: '2026-11-24T15:00:00Z',
  description: 'Delivered',
  trackingNumber: '794612345678',
};
const CFG = { statusMap: { delivered: 'Delivered' } };

describe('Plex status write-backs happen once', () => {
  let sim: PlexSimulator;
  let order: SeededOrder | undefined;

  before(async () => {
    sim = await startPlexSimulator({ seed: 11, rateLimitPerMinute: 100_000 });
  });
  after(() => sim.stop());
  beforeEach(() => {
    sim.reset();
    [order] = sim.seedOrders(1, { seed: 3, invalidShare: 0 });
  });

  const client = (timeoutMs = 5_000) =>
    new PlexClient({
      connection: 'plex-sim',
      baseUrl: sim.url,
      apiKey: DEMO_KEY.apiKey,
      limiter: unlimited,
      timeoutMs,
      log: pino({ level: 'silent' }),
    });

  it('a retry after a lost answer finds the write applied and writes nothing', async () => {
    const keys = { shipperId: order!.shipperId };
    // The first attempt's PUT reaches Plex, which applies it and never answers.
    sim.setFaults({ timeoutRate: 1 });
    await assert.rejects(
      client(300).updateCustomerShipper(order!.shipperId, toShipperStatusUpdate(DELIVERED, CFG)),
      PlexUnavailableError,
    );
    sim.setFaults({ timeoutRate: 0 });
    assert.equal(sim.counters().writesByShipper[order!.shipperId], 1);

    assert.deepEqual(await client().writeStatus(keys, DELIVERED, CFG), {
      shipperId: order!.shipperId,
      written: false,
    });
    assert.equal(sim.counters().writesByShipper[order!.shipperId], 1);
    assert.equal(sim.getShipper(order!.shipperId)?.status, 'Delivered');
  });

  it('a different event is still written', async () => {
    const keys = { shipperId: order!.shipperId };
    const c = client();
    assert.equal((await c.writeStatus(keys, { ...DELIVERED, status: 'in_transit' }, CFG)).written, true);
    assert.equal((await c.writeStatus(keys, DELIVERED, CFG)).written, true);
    assert.equal((await c.writeStatus(keys, DELIVERED, CFG)).written, false);
    assert.equal(sim.counters().writesByShipper[order!.shipperId], 2);
    const shipper = sim.getShipper(order!.shipperId)!;
    assert.match(shipper.shipperNote ?? '', /delivered \(794612345678\)/);
    assert.match(shipper.deliveryDateTime ?? '', /^2026-11-24T15:00:00/);
  });

  describe('inside an activity', () => {
    let db: TestDatabase;
    before(async () => {
      db = await createTestDatabase('postgres');
    });
    after(() => db.dispose());

    it('a 429 wait that would outlast the attempt surfaces at once, for Temporal to retry later', async () => {
      // The client logs every wait before it starts it (a 429 waited out, a read sent again).
      const lines: Array<{ msg: string; waitMs?: number }> = [];
      const port = plexErpPort(
        {
          clients: createPlexClientFactory({
            db: db.db,
            callsPerMinute: 10_000,
            settings: () => ({ baseUrl: sim.url, apiKey: DEMO_KEY.apiKey }),
            log: pino({ level: 'warn' }, { write: (line: string) => void lines.push(JSON.parse(line)) }),
          }),
          audit: new AuditRepo(db.db),
          log: pino({ level: 'silent' }),
        },
        'plex-sim',
      );
      const env = new MockActivityEnvironment(
        {
          workflowExecution: { workflowId: 'order/plex-sim/x', runId: 'r1' },
          startToCloseTimeoutMs: 20_000,
          currentAttemptScheduledTimestampMs: Date.now(),
        },
        { logger: new DefaultLogger('ERROR') },
      );
      const loaded = (await env.run(() => port.loadOrder(order!.orderKey))) as ErpOrder;

      // Plex documents no Retry-After: the client would wait a minute, past the 20-s attempt.
      sim.setLimits({ rateLimitPerMinute: 1 });
      const limitedBefore = sim.counters();
      lines.length = 0;
      await assert.rejects(
        env.run(() => port.writeStatus(loaded, DELIVERED)),
        (err: unknown) => {
          assert.ok(err instanceof ApplicationFailure);
          assert.equal(err.type, 'PlexRateLimitError');
          assert.ok((err.nextRetryDelay as number) >= 60_000, String(err.nextRetryDelay));
          return true;
        },
      );
      assert.deepEqual(
        // The kit's call path logs "...: HTTP 429; waiting" before a 429 wait, "...; sending it again" before a resend.
        lines.filter((l) => /waiting|sending it again/.test(l.msg)),
        [],
        'no wait started: the 429 surfaced at once',
      );
      assert.equal(
        sim.counters().tooManyRequests - limitedBefore.tooManyRequests,
        1,
        'one 429, not asked again',
      );
      assert.equal(sim.counters().writesByShipper[order!.shipperId] ?? 0, 0);
    });
  });
});

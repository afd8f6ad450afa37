import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { Client } from '@temporalio/client';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import pino from 'pino';
import { createOrderActivities } from '../../activities/orders/activities';
import type { CarrierPort } from '../../connectors/ports';
import { FedexUnavailableError } from '../../connectors/fedex/errors';
import type { TrackingUpdate } from '../../domain/model';
import { createRepos } from '../../lib/db/repos';
import { forEachDatabase, uniqueName } from '../helpers/db';

// The tracking sweep against a carrier that fails some Track calls: the chaos suite's 1,000-order
// run at 10% 5xx and 5% unanswered requests found deliveries stuck because every sweep attempt met
// a failed Track call somewhere and started over from the first page.

forEachDatabase('tracking sweep with a failing carrier', (getDb) => {
  /** Five in-transit shipments of a fresh carrier connection, in id order. */
  async function seed(connection: string): Promise<string[]> {
    const repos = createRepos(getDb().db);
    const numbers: string[] = [];
    for (let i = 0; i < 5; i++) {
      const key = `${connection}-${i}`;
      await repos.shipments.recordIntent({
        idempotencyKey: key,
        workflowId: `order/${key}`,
        erpConnection: 'plex-x',
        orderKey: key,
        carrier: 'fedex',
        carrierConnection: connection,
      });
      const number = `7946${String(i).padStart(8, '0')}`;
      await repos.shipments.markCreated(key, { masterTrackingNumber: number, trackingNumbers: [number] });
      numbers.push(number);
    }
    return numbers;
  }

  function sweepWith(track: (numbers: string[]) => Promise<TrackingUpdate[]>) {
    const signalled: string[] = [];
    const client = {
      workflow: { getHandle: (id: string) => ({ signal: async () => void signalled.push(id) }) },
    } as unknown as Client;
    const tracked: string[][] = [];
    const carrier = {
      track: async (numbers: string[]) => {
        tracked.push(numbers);
        return { updates: await track(numbers), errors: [] };
      },
    } as unknown as CarrierPort;
    const activities = createOrderActivities({
      repos: createRepos(getDb().db),
      erp: () => assert.fail('no ERP in a sweep'),
      carrier: () => carrier,
      route: () => assert.fail('no route in a sweep'),
      client,
      taskQueue: 'unused',
      pollOverlapMs: 0,
      initialLookbackMs: 0,
      log: pino({ level: 'silent' }),
      trackPageSize: 2,
    });
    return { activities, signalled, tracked };
  }

  const delivered = (n: string): TrackingUpdate => ({
    trackingNumber: n,
    status: 'delivered',
    eventTime: '2026-11-21T10:00:00Z',
    description: 'Delivered',
    rawCode: 'DL',
  });
  const env = (heartbeatDetails?: unknown) =>
    new MockActivityEnvironment(
      { heartbeatDetails, heartbeatTimeoutMs: 60_000 },
      { logger: new DefaultLogger('ERROR') },
    );

  it('a page the carrier cannot answer waits for the next sweep; the other pages go on', async () => {
    const connection = uniqueName('fedex-sweep');
    const numbers = await seed(connection);
    const down = new Set([numbers[2], numbers[3]]); // the second page of two
    const { activities, signalled } = sweepWith(async (ns) => {
      if (ns.some((n) => down.has(n))) throw new FedexUnavailableError('FedEx track: HTTP 503');
      return ns.map(delivered);
    });
    const result = await env().run(activities.sweepTracking, { carrierConnection: connection });
    assert.deepEqual(result, { shipments: 5, changed: 3, unknown: 0, failedPages: 1 });
    assert.deepEqual(signalled.sort(), [
      `order/${connection}-0`,
      `order/${connection}-1`,
      `order/${connection}-4`,
    ]);

    down.clear(); // the next sweep finds the carrier back
    const next = await env().run(activities.sweepTracking, { carrierConnection: connection });
    assert.deepEqual(next, { shipments: 2, changed: 2, unknown: 0, failedPages: 0 });
  });

  it('fails when no page got through, so the run shows the carrier is down', async () => {
    const connection = uniqueName('fedex-sweep');
    await seed(connection);
    const { activities, signalled } = sweepWith(async () => {
      throw new FedexUnavailableError('FedEx track: HTTP 503');
    });
    await assert.rejects(env().run(activities.sweepTracking, { carrierConnection: connection }), /HTTP 503/);
    assert.deepEqual(signalled, []);
  });

  it('a retried sweep goes on after the last page its previous attempt finished', async () => {
    const connection = uniqueName('fedex-sweep');
    const numbers = await seed(connection);
    const repos = createRepos(getDb().db);
    const second = await repos.shipments.findByTrackingNumber(numbers[1]!);
    const { activities, tracked } = sweepWith(async (ns) => ns.map(delivered));
    const result = (await env({ afterId: second!.id }).run(activities.sweepTracking, {
      carrierConnection: connection,
    })) as { changed: number };
    assert.deepEqual(tracked, [[numbers[2], numbers[3]], [numbers[4]]]);
    assert.equal(result.changed, 3);
  });
});

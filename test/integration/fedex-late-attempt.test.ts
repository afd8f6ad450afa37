import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { sql } from 'kysely';
import {
  createFedexClientFactory,
  fedexCarrierPort,
  type FedexShipmentResult,
} from '../../connectors/fedex/carrier';
import { fedexOrderReference, fedexServiceType } from '../../connectors/fedex/mapping';
import { createRepos } from '../../lib/db/repos';
import { createLogger } from '../../lib/logger';
import { unlimited } from '../../lib/ratelimit';
import { generateMasterKey, Vault } from '../../lib/vault';
import { DEMO_CLIENT, startFedexSimulator, type FedexSimulator } from '../../simulators/fedex';
import { forEachDatabase, uniqueName } from '../helpers/db';
import { shipmentRequest } from '../unit/fedex-fixtures';

// The open risk the chaos suite named (chaos/README.md, "late attempts"): a worker killed while
// fetching a FedEx token leaves its claim behind, and every FedEx call waits for it to expire. An
// old fedexCreateShipment attempt (the first creates without looking up) and its retry (which looks
// up, then creates) are released by the same claim expiry. The old attempt's start-to-close is used
// up by then, so it must not send its create: one label, made by the retry.

const log = createLogger({ level: 'silent' });
const ACCOUNT = DEMO_CLIENT.accounts[0]!;
/** The claim a dead worker left behind holds this long; the first attempt's budget is shorter. */
const CLAIM_MS = 2_000;

forEachDatabase('FedEx: an attempt released from a token wait after its time', (getDb) => {
  let sim: FedexSimulator;
  let carrier: ReturnType<typeof fedexCarrierPort>;

  before(async () => {
    sim = await startFedexSimulator({
      clients: [DEMO_CLIENT],
      authThrottle: { limit: 100, windowSeconds: 1 },
      clockSpeed: 1,
    });
    const repos = createRepos(getDb().db);
    const clients = createFedexClientFactory({
      db: getDb().db,
      vault: new Vault({ db: getDb().db, keys: { current: generateMasterKey(), previous: [] } }),
      repos,
      limits: { transactionsPer10s: 1400, tokenRequestsPerMinute: 100, lockoutMinutes: 10 },
      settings: () => ({
        baseUrl: sim.url,
        clientId: DEMO_CLIENT.clientId,
        clientSecret: DEMO_CLIENT.clientSecret,
        accountNumber: ACCOUNT,
      }),
      log,
      limiter: unlimited,
      timeoutMs: 5_000,
    });
    carrier = fedexCarrierPort({ clients, repos, log }, 'fedex-main');
  });
  after(() => sim.stop());

  it('the old attempt sends no create; its retry creates the only label', async () => {
    const orderNumber = uniqueName('SO').toUpperCase();
    const workflowId = `order/plex-test/${orderNumber}`;
    const request = shipmentRequest({
      idempotencyKey: `${workflowId}/shipment`,
      shipDate: new Date().toISOString().slice(0, 10),
      references: { orderNumber, poNumber: 'PO-77' },
    });
    const reference = fedexOrderReference(orderNumber, fedexServiceType(request));
    const input = {
      workflowId,
      erpConnection: 'plex-test',
      orderKey: orderNumber,
      carrierConnection: 'fedex-main',
      request,
    };

    // A worker died while fetching the token: its claim stands until it expires.
    await sql`INSERT INTO oauth_token_control (connection, kind, locked_until, refresh_claim, refresh_claimed_until)
              VALUES ('fedex-main', 'access', NULL, 'dead-worker', ${new Date(Date.now() + CLAIM_MS)})`.execute(
      getDb().db,
    );

    const quiet = { logger: new DefaultLogger('ERROR') };
    // The first attempt has 6 s: with the 5-s margin, its budget ends a second before the claim does.
    const first = new MockActivityEnvironment({ attempt: 1, startToCloseTimeoutMs: 6_000 }, quiet).run(() =>
      carrier.createShipment(input),
    );
    await new Promise((r) => setTimeout(r, 1_000));
    const retry = new MockActivityEnvironment({ attempt: 2, startToCloseTimeoutMs: 60_000 }, quiet).run(() =>
      carrier.createShipment(input),
    );
    const [old, again] = await Promise.allSettled([first, retry]);

    assert.equal(old.status, 'rejected', 'the old attempt must not complete a create');
    const err = (old as PromiseRejectedResult).reason as unknown;
    assert.ok(err instanceof ApplicationFailure, String(err));
    assert.equal(err.type, 'FedexUnavailableError');
    assert.equal(err.nonRetryable, false);
    assert.match(
      err.message,
      /start-to-close timeout is used up; not sending the create: the retry looks the shipment up first/,
    );

    assert.equal(again.status, 'fulfilled', String((again as PromiseRejectedResult).reason));
    const created = (again as PromiseFulfilledResult<unknown>).value as FedexShipmentResult;
    assert.equal(created.adopted, false);
    assert.equal(sim.counters().shipmentsByReference[reference], 1, 'one label');
    assert.equal(sim.counters().requestsByEndpoint['POST /ship/v1/shipments'], 1, 'one create sent');
  });
});

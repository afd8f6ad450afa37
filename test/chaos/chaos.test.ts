import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { baseSeed } from '../helpers/seed';
import { runChaos } from '../../chaos/chaos';

// The chaos suite (chaos/, `npm run chaos`) bounded for `npm test`: 60 orders Plex -> FedEx through
// the app's worker in a child process that is SIGKILLed three times, a dev server of its own
// restarted once on its db file, 429 bursts, latency spikes, one FedEx auth lockout and 2% bad
// orders. It asserts the invariants, never timings.
//
// At the rates: 10% of requests answer 5xx and 5% are never answered (each costs its caller
// a 15-s read or 30-s write timeout). Until the ERP poll handed orders over as it read them and the
// tracking sweep stopped starting over at every failed Track call, 5% made a 60-order run take well
// over ten minutes and the test ran at 0.25%; it now settles in about five (chaos/README.md).
const RATES = { errorRate: 0.1, timeoutRate: 0.05 };

describe('chaos (bounded)', () => {
  it('every invariant holds under kills, a server restart and faults', { timeout: 15 * 60_000 }, async () => {
    // Fixed (MLC_TEST_SEED moves it): kills, faults and bad orders are the same in every run.
    const seed = baseSeed() % 2 ** 31;
    const lines: string[] = [];
    const result = await runChaos({
      orders: 60,
      kills: 3,
      seed,
      timeoutSeconds: 600,
      stallSeconds: 240,
      ...RATES,
      workflowBundlePath: process.env.MLC_TEST_WORKFLOW_BUNDLE,
      say: (line) => lines.push(line),
    });
    const report = [...lines, ...result.details, ...result.violations, result.line].join('\n');
    const why = `seed ${seed} (rerun: npm run chaos -- --orders 60 --seed ${seed} --error-rate ${RATES.errorRate} --timeout-rate ${RATES.timeoutRate})\n${report}`;

    assert.equal(result.orders, 60, why);
    assert.equal(result.bad, 1, why);
    assert.ok(result.complete, why);
    assert.equal(result.delivered, result.valid, why);
    assert.equal(result.writtenBack, result.valid, why);
    assert.equal(result.duplicateWrites, 0, why);
    assert.equal(result.duplicates, 0, why);
    assert.equal(result.lostUpdates, 0, why);
    assert.equal(result.parkedBad, result.bad, why);
    assert.equal(result.secretsLeaked, 0, why);
    assert.ok((result.clientErrorsWorst?.count ?? 0) < 10, why);
    assert.deepEqual(result.violations, [], why);
    // The carrier outage outlasted the retry budget: orders waited on it by themselves and, with no
    // retry signal from anyone, every valid one still got through (the checks above).
    assert.equal(result.outages, 1, why);
    assert.ok((result.waitedOrders ?? 0) >= 1, why);
    assert.match(
      result.line,
      /^chaos: orders=60 delivered=59 duplicates=0 lost_updates=0 parked_bad=1\/1 secrets_leaked=0$/,
    );
  });
});

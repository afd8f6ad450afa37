// bench/options.ts: the benchmark's command line. Defaults, the one option that may be 0 (--settle),
// and refusals that name the option.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_SETTLE_SECONDS, parseOptions } from '../../bench/options';

describe('bench options', () => {
  it('measures four throughput rounds with a pause between phases by default', () => {
    const o = parseOptions([]);
    assert.equal(o.orders, 2000);
    assert.equal(o.rounds, 4);
    assert.equal(o.settleSeconds, DEFAULT_SETTLE_SECONDS);
    // The pause outlasts the activities' 60-s start-to-close timeout, whose timers it waits out.
    assert.ok(DEFAULT_SETTLE_SECONDS > 60);
  });

  it('takes --settle 0 (no pause) but no zero count', () => {
    assert.equal(parseOptions(['--settle', '0']).settleSeconds, 0);
    assert.equal(parseOptions(['--rounds', '3', '--settle', '10']).rounds, 3);
    assert.throws(
      () => parseOptions(['--rounds', '0']),
      /bad option --rounds 0: expected a positive integer/,
    );
    assert.throws(() => parseOptions(['--settle', '-1']), /bad option --settle -1: expected a whole number/);
    assert.throws(() => parseOptions(['--settle', '1.5']), /bad option --settle 1.5/);
    assert.throws(() => parseOptions(['--pause', '5']), /unknown option --pause/);
  });

  it('scales the smaller phases with --orders', () => {
    const o = parseOptions(['--orders', '100']);
    assert.equal(o.latencyOrders, 30);
    assert.equal(o.limitOrders, 200);
  });
});

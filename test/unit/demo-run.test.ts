import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { claimDemoRun, demoRun } from '../../clients/demo-run';

describe('demo runs on one data folder', () => {
  it('each run takes the next number, and with it a new seed and new order numbers', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlc-demo-run-'));
    try {
      const first = claimDemoRun(path.join(dir, 'data'));
      const second = claimDemoRun(path.join(dir, 'data'));
      assert.deepEqual(first, demoRun(1));
      assert.deepEqual(second, demoRun(2));
      assert.notEqual(first.seed, second.seed);
      assert.ok(second.firstOrderNumber >= first.firstOrderNumber + 100_000, 'no shared order number');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a broken run file stops the start with a message naming it, instead of guessing', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlc-demo-run-'));
    try {
      fs.writeFileSync(path.join(dir, 'demo-runs.json'), '{"runs": "three"}');
      assert.throws(() => claimDemoRun(dir), /demo-runs\.json is not \{"runs": <count>\}/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createLogger, registerSecret } from '../../lib/logger';

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l));
      cb();
    },
  });
  return { log: createLogger({ level: 'info', destination }), lines };
}

describe('logger', () => {
  it('redacts authorization headers, tokens, secrets and passwords wherever they sit', () => {
    const { log, lines } = capture();
    log.info(
      {
        headers: { authorization: 'Bearer abc', 'X-Plex-Connect-Api-Key': 'plex-key-1' },
        req: { headers: { authorization: 'Basic xyz' } },
        password: 'hunter2',
        config: { clientSecret: 's3cr3t', apiKey: 'k-123456' },
        token: 'tok-1',
      },
      'calling',
    );
    const text = JSON.stringify(lines[0]);
    for (const secret of [
      'Bearer abc',
      'plex-key-1',
      'Basic xyz',
      'hunter2',
      's3cr3t',
      'k-123456',
      'tok-1',
    ]) {
      assert.ok(!text.includes(secret), `${secret} is not in the log line`);
    }
    assert.ok(text.includes('[redacted]'));
  });

  it('masks a registered secret value inside free text', () => {
    const { log, lines } = capture();
    registerSecret('very-secret-client-value');
    log.warn('FedEx said: invalid client very-secret-client-value');
    assert.equal(lines[0]!.msg, 'FedEx said: invalid client [redacted]');
  });

  it('names the workflow and activity on every line logged inside an activity', async () => {
    const { log, lines } = capture();
    const env = new MockActivityEnvironment({
      activityId: 'act-7',
      activityType: 'carrierCreateShipment',
      workflowExecution: { workflowId: 'order/plex-demo/42', runId: 'run-1' },
    });
    await env.run(async () => log.info('inside'));
    log.info('outside');
    assert.equal(lines[0]!.workflowId, 'order/plex-demo/42');
    assert.equal(lines[0]!.activityId, 'act-7');
    assert.equal(lines[0]!.activityType, 'carrierCreateShipment');
    assert.equal(lines[1]!.workflowId, undefined);
  });
});

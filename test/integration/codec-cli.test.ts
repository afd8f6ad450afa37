// The codec endpoint (clients/http/codec-routes.ts) as the real Temporal CLI uses it: a workflow
// whose payloads the app's EncryptionCodec encrypts runs on the dev server, and `temporal workflow
// query | signal | show --codec-endpoint` read and write it through the endpoint.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { codecRoutes } from '../../clients/http/codec-routes';
import { startHttpServer, type RunningHttpServer } from '../../clients/http/server';
import { createLogger } from '../../lib/logger';
import { Registry } from '../../lib/metrics';
import { requireTemporalCli } from '../../lib/temporal/cli-binary';
import { deriveCodecKey, EncryptionCodec, ENCODING } from '../../lib/temporal/codec';
import { orderShipment } from '../../workflows';
import { statusQuery, type OrderState } from '../../workflows/messages';
import { temporalTestEnv, testTaskQueue, testWorker } from '../helpers/temporal';

const ORDER_NUMBER = 'SO-CODEC-7731';
const LOAD_FAILURE = 'order SO-CODEC-7731 is not in the ERP (test stub)';
const CANCEL_REASON = 'customer called: cancel order SO-CODEC-7731';
const TOKEN = 'codec-cli-token';

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

describe('codec endpoint driven by the real Temporal CLI', () => {
  // A fixed key: the test's outcome never depends on random data.
  const codec = new EncryptionCodec(deriveCodecKey('codec-cli-key', Buffer.alloc(32, 7)));
  let env: TestWorkflowEnvironment;
  let server: RunningHttpServer;
  let worker: Worker;
  let running: Promise<void>;
  let handle: WorkflowHandle<typeof orderShipment>;
  let address: string;
  let namespace: string;

  /** The CLI with the dev server's address; its exit code and output, never a throw. */
  const temporal = (args: string[], opts: { codec?: boolean } = {}): Promise<CliResult> => {
    const codecArgs =
      (opts.codec ?? true)
        ? ['--codec-endpoint', `${server.url}/codec`, '--codec-auth', `Bearer ${TOKEN}`]
        : [];
    const all = [...args, '--address', address, '--namespace', namespace, '--color', 'never', ...codecArgs];
    return new Promise((resolve) => {
      execFile(requireTemporalCli().path, all, { encoding: 'utf8' }, (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      });
    });
  };
  const ok = (r: CliResult, what: string) =>
    assert.equal(r.code, 0, `${what} exits 0\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);

  before(async () => {
    env = await temporalTestEnv();
    address = env.connection.options.address;
    namespace = env.namespace ?? 'default';
    server = await startHttpServer({
      host: '127.0.0.1',
      port: 0,
      log: createLogger({ level: 'silent' }),
      metrics: new Registry(),
      health: [],
      routes: codecRoutes({ codec, allowedOrigins: [], token: TOKEN }),
    });
    const taskQueue = testTaskQueue('codec-cli');
    // The order workflow with its ERP load stubbed to fail for good: the order parks in
    // needs_attention (load step) and waits there for `retry` or `cancel`.
    worker = await testWorker(env, {
      taskQueue,
      dataConverter: { payloadCodecs: [codec] },
      activities: {
        erpLoadOrder: async () => {
          throw ApplicationFailure.nonRetryable(LOAD_FAILURE, 'OrderNotFound');
        },
        recordOrderStatus: async () => undefined,
      },
    });
    running = worker.run();
    const client = new Client({
      connection: env.connection,
      namespace,
      dataConverter: { payloadCodecs: [codec] },
    });
    handle = await client.workflow.start(orderShipment, {
      taskQueue,
      workflowId: `order/codec-cli/${taskQueue}`,
      args: [
        {
          erpConnection: 'plex-codec',
          orderKey: taskQueue,
          orderNumber: ORDER_NUMBER,
          carrierConnection: 'fedex-codec',
          carrier: 'fedex',
        },
      ],
    });
    // Parked after the failed load: the state the CLI queries below.
    let state = await handle.query(statusQuery);
    while (state.status === 'detected') {
      await sleep(50);
      state = await handle.query(statusQuery);
    }
    assert.equal(state.status, 'needs_attention', JSON.stringify(state));
  });

  after(async () => {
    // Open only when a test failed before the signal that ends it.
    await handle?.terminate('test over').catch(() => undefined);
    if (worker) {
      worker.shutdown();
      await running;
    }
    await server?.close();
    await env?.teardown();
  });

  /** The order state in a query's output (the CLI prints the decoded result as JSON). */
  const stateIn = (stdout: string): OrderState => {
    const json = stdout.slice(stdout.indexOf('{'), stdout.lastIndexOf('}') + 1);
    return JSON.parse(json) as OrderState;
  };

  it('workflow query without arguments (the CLI encodes {}) prints the decoded status', async () => {
    const r = await temporal(['workflow', 'query', '-w', handle.workflowId, '--type', 'status']);
    ok(r, 'workflow query');
    const state = stateIn(r.stdout);
    assert.equal(state.status, 'needs_attention');
    assert.equal(state.orderNumber, ORDER_NUMBER);
    assert.equal(state.attention?.message, LOAD_FAILURE);
  });

  it('workflow query with an argument (the CLI encodes it) prints the decoded status', async () => {
    const r = await temporal([
      'workflow',
      'query',
      '-w',
      handle.workflowId,
      '--type',
      'status',
      '--input',
      '{"detail": "full"}',
    ]);
    ok(r, 'workflow query --input');
    assert.equal(stateIn(r.stdout).orderNumber, ORDER_NUMBER);
  });

  it('without the codec endpoint the CLI cannot read the result: it is encrypted', async () => {
    const r = await temporal(['workflow', 'query', '-w', handle.workflowId, '--type', 'status'], {
      codec: false,
    });
    ok(r, 'workflow query without --codec-endpoint');
    assert.ok(r.stdout.includes(Buffer.from(ENCODING).toString('base64')), `ciphertext shown:\n${r.stdout}`);
    assert.ok(!r.stdout.includes(ORDER_NUMBER), `plaintext leaked: ${r.stdout}`);
  });

  // Runs after the queries (tests run in order): the signal ends the workflow.
  it('workflow signal with input: the worker gets it decrypted, history holds it encrypted', async () => {
    const r = await temporal([
      'workflow',
      'signal',
      '-w',
      handle.workflowId,
      '--name',
      'cancel',
      '--input',
      JSON.stringify({ reason: CANCEL_REASON, by: 'operator' }),
    ]);
    ok(r, 'workflow signal');
    const final = await handle.result();
    assert.equal(final.status, 'cancelled');
    assert.equal(final.attention?.message, CANCEL_REASON);

    const history = await handle.fetchHistory();
    const signalled = history.events?.find((e) => e.workflowExecutionSignaledEventAttributes);
    const input = signalled?.workflowExecutionSignaledEventAttributes?.input?.payloads?.[0];
    assert.ok(input, 'the signal event carries the input');
    assert.equal(Buffer.from(input.metadata?.encoding ?? []).toString(), ENCODING);
    assert.ok(
      !Buffer.from(input.data ?? [])
        .toString('latin1')
        .includes('customer called'),
    );
  });

  it('workflow show prints the result decoded, and in JSON every payload of the history decoded', async () => {
    const text = await temporal(['workflow', 'show', '-w', handle.workflowId]);
    ok(text, 'workflow show');
    const result = /^\s*Result\s+(\{.*\})\s*$/m.exec(text.stdout);
    assert.ok(result, `the result line is there:\n${text.stdout}`);
    const final = JSON.parse(result[1]!) as OrderState;
    assert.equal(final.status, 'cancelled');
    assert.equal(final.attention?.message, CANCEL_REASON);

    const json = await temporal(['workflow', 'show', '-w', handle.workflowId, '--output', 'json']);
    ok(json, 'workflow show --output json');
    const history = JSON.parse(json.stdout) as { events: Array<Record<string, unknown>> };
    type JsonPayloads = { payloads?: Array<{ metadata?: Record<string, string>; data?: string }> };
    const value = (payloads: JsonPayloads | undefined): unknown => {
      const [p] = payloads?.payloads ?? [];
      assert.ok(p, 'a payload');
      // Decoded by the endpoint: the SDK's plain JSON encoding, not the codec's ciphertext.
      assert.equal(Buffer.from(p.metadata?.encoding ?? '', 'base64').toString(), 'json/plain');
      return JSON.parse(Buffer.from(p.data ?? '', 'base64').toString('utf8'));
    };
    const attrs = (name: string) => {
      const event = history.events.find((e) => name in e);
      assert.ok(event, `history has ${name}`);
      return event[name] as Record<string, JsonPayloads>;
    };
    const started = value(attrs('workflowExecutionStartedEventAttributes').input) as { orderNumber: string };
    assert.equal(started.orderNumber, ORDER_NUMBER);
    assert.deepEqual(value(attrs('workflowExecutionSignaledEventAttributes').input), {
      reason: CANCEL_REASON,
      by: 'operator',
    });
    const completed = value(attrs('workflowExecutionCompletedEventAttributes').result) as OrderState;
    assert.equal(completed.attention?.message, CANCEL_REASON);
    assert.ok(!json.stdout.includes(Buffer.from(ENCODING).toString('base64')), 'no payload left encrypted');
  });
});

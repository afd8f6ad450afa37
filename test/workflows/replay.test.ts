import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import {
  DefaultLogger,
  Runtime,
  Worker,
  bundleWorkflowCode,
  type ReplayWorkerOptions,
} from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { EncryptionCodec, deriveCodecKey } from '../../lib/temporal/codec';
import { WORKFLOWS_PATH } from '../../workers/worker';
import { historyFromJsonObject, type History } from './replay-fixtures/history-json';

// Replays recorded workflow histories (test/workflows/histories/, see its README) against the
// current workflow code. A failure here means a deploy of this code would break the orders and
// schedule runs in flight: make the change with `patched()` instead of re-recording. No server is
// needed: the SDK replays each history in a local replay worker.

const HISTORIES_DIR = path.join(__dirname, 'histories');
const BROKEN_ORDER_WORKFLOWS = require.resolve('./replay-fixtures/nondeterministic-order');

interface Recorded {
  file: string;
  workflowId: string;
  workflowType: string;
  history: History;
}

function loadHistories(): Recorded[] {
  return fs
    .readdirSync(HISTORIES_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => {
      const json = JSON.parse(fs.readFileSync(path.join(HISTORIES_DIR, file), 'utf8')) as {
        workflowId?: string;
        events?: Array<{ workflowExecutionStartedEventAttributes?: { workflowType?: { name?: string } } }>;
      };
      const workflowType = json.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name;
      assert.ok(workflowType, `${file}: the first event is not a workflow start`);
      assert.ok(
        json.workflowId,
        `${file}: no workflowId (record it with test/workflows/record-histories.ts)`,
      );
      return { file, workflowId: json.workflowId, workflowType, history: historyFromJsonObject(json) };
    });
}

/** Replay worker logs only at ERROR (the self-check's violation is reported by the assertion). */
function quietRuntime(): void {
  const verbose = ['trace', 'debug', 'info'].includes(process.env.LOG_LEVEL ?? '');
  Runtime.install({
    logger: new DefaultLogger(verbose ? 'INFO' : 'ERROR'),
    telemetryOptions: { logging: { filter: { core: verbose ? 'INFO' : 'ERROR', other: 'ERROR' } } },
  });
}

describe('workflow replay: recorded histories against the current workflow code', () => {
  const histories = loadHistories();
  let options: ReplayWorkerOptions;

  before(async () => {
    quietRuntime();
    // The workflow code exactly as the app's worker loads it (workers/worker.ts): `npm test`'s
    // prebuilt bundle of WORKFLOWS_PATH, else the same bundle built here once for every replay.
    const prebuilt = process.env.MLC_TEST_WORKFLOW_BUNDLE;
    const workflowBundle = prebuilt
      ? { codePath: prebuilt }
      : {
          code: (
            await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: new DefaultLogger('WARN') })
          ).code,
        };
    options = {
      workflowBundle,
      // The app's data converter: the default payload converter behind the payload codec. The
      // recorded histories are not encrypted (the test pipelines run without a codec), so the codec
      // passes them through; any key will do.
      dataConverter: { payloadCodecs: [new EncryptionCodec(deriveCodecKey('replay-test', randomBytes(32)))] },
    };
  });

  it('has histories of every order path and every scheduled workflow', () => {
    const types = new Set(histories.map((h) => h.workflowType));
    for (const type of ['orderShipment', 'erpPoll', 'trackingSweep', 'shipmentPoll', 'inventorySync']) {
      assert.ok(types.has(type), `no recorded history of ${type} in ${HISTORIES_DIR}`);
    }
    assert.ok(histories.length >= 8, `expected the recorded histories, found ${histories.length}`);
  });

  for (const h of histories) {
    it(`replays ${h.file} (${h.workflowType})`, async () => {
      await Worker.runReplayHistory(options, h.history, h.workflowId);
    });
  }

  it('self-check: an orderShipment that runs a different activity first fails to replay', async () => {
    const order = histories.find((h) => h.file === 'label-delivered.json');
    assert.ok(order, 'label-delivered.json is the self-check history');
    await assert.rejects(
      Worker.runReplayHistory(
        { workflowsPath: BROKEN_ORDER_WORKFLOWS, dataConverter: options.dataConverter },
        order.history,
        order.workflowId,
      ),
      (err: unknown) => {
        assert.ok(
          err instanceof DeterminismViolationError,
          `expected a DeterminismViolationError, got ${String(err)}`,
        );
        // Core names both: "Activity type of scheduled event 'erpLoadOrder' does not match ... 'carrierCreateShipment'".
        assert.match(err.message, /erpLoadOrder/);
        assert.match(err.message, /carrierCreateShipment/);
        return true;
      },
    );
  });
});

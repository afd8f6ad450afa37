import fs from 'node:fs';
import path from 'node:path';
import { NativeConnection, Worker, bundleWorkflowCode, type WorkerOptions } from '@temporalio/worker';
import type { PayloadCodec } from '@temporalio/common';
import type { Logger } from 'pino';
import { createActivities, type ActivityDeps } from '../activities';
import { PROJECT_ROOT } from '../lib/paths';

export const WORKFLOWS_PATH = require.resolve('../workflows');
/** The production bundle, written by `ml-connector bundle-workflows` (part of `npm run build`). */
export const WORKFLOW_BUNDLE_PATH = path.join(PROJECT_ROOT, 'dist', 'workflow-bundle.js');

/**
 * Workflows kept in a worker's cache by default (config `worker.maxCachedWorkflows`; see createWorker).
 * With 150 the benchmark's worker settles at about 250 MB however many orders are open (248 MB with
 * 10,000, 210 MB idle; up to ~360 MB for the first 40 s after a burst of starts, until V8 returns
 * the garbage). An evicted order replays its short history (~56 events) when it next wakes, which
 * is cheap next to the API calls it then makes; a smaller cache costs throughput (50 cut the
 * benchmark's real pipeline from 13.2 to 10.0 orders/s).
 */
export const MAX_CACHED_WORKFLOWS = 150;

export interface WorkerSetup {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  /** What the app's activities need; not needed when `activities` is given. */
  deps?: ActivityDeps;
  log: Logger;
  /** Encrypts payloads; the same codec must be on every client and worker of the namespace. */
  payloadCodec?: PayloadCodec;
  /** A prebuilt bundle (tests build one per run); otherwise dist/ in production, else workflowsPath. */
  workflowBundlePath?: string;
  options?: Partial<WorkerOptions>;
  /** Activities to register instead of the app's (the benchmark's null pipeline); default createActivities(deps). */
  activities?: object;
}

/** Bundle the workflows once ahead of time so worker start-up skips webpack. */
export async function writeWorkflowBundle(outFile = WORKFLOW_BUNDLE_PATH): Promise<string> {
  const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: undefined });
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  fs.writeFileSync(outFile, code);
  return outFile;
}

export async function createWorker(setup: WorkerSetup): Promise<Worker> {
  const activities = setup.activities ?? (setup.deps && createActivities(setup.deps));
  if (!activities) throw new Error('createWorker needs the activity deps (or activities to register)');
  const bundlePath =
    setup.workflowBundlePath ??
    (process.env.NODE_ENV === 'production' && fs.existsSync(WORKFLOW_BUNDLE_PATH)
      ? WORKFLOW_BUNDLE_PATH
      : undefined);
  setup.log.info(
    { taskQueue: setup.taskQueue, namespace: setup.namespace, workflows: bundlePath ? 'bundle' : 'source' },
    'starting worker',
  );
  return await Worker.create({
    connection: setup.connection,
    namespace: setup.namespace,
    taskQueue: setup.taskQueue,
    ...(bundlePath ? { workflowBundle: { codePath: bundlePath } } : { workflowsPath: WORKFLOWS_PATH }),
    activities,
    // Open orders mostly wait for tracking signals: a bounded cache keeps a worker's memory flat with
    // thousands of them (the SDK's default grows with the heap, ~0.4 MB per cached order); an evicted
    // order is replayed from history when its next signal arrives.
    maxCachedWorkflows: MAX_CACHED_WORKFLOWS,
    ...(setup.payloadCodec ? { dataConverter: { payloadCodecs: [setup.payloadCodec] } } : {}),
    ...setup.options,
  });
}

import fs from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import pino from 'pino';
import { createWorker } from '../workers/worker';
import type { OrderRoute } from '../activities/orders/activities';
import type { ErpOrder } from '../domain/order';
import { quietTemporalRuntime } from './infra';
import { createNullActivities } from './null-activities';

// A worker process of its own for the RSS figure: the app's worker (createWorker, with its bounded
// workflow cache) carrying the null activities, so every order parks in the tracking wait (open,
// in transit) without touching a simulator, and the process's RSS is the worker's alone. Driven over IPC by bench/run.ts: `stats` -> {written, rss, heapUsed}, `stop`.

export interface OpenOrdersWorkerSetup {
  address: string;
  namespace: string;
  taskQueue: string;
  bundlePath: string;
  erpConnection: string;
  route: OrderRoute;
  order: ErpOrder;
}

export type ParentMessage = { type: 'stats' } | { type: 'stop' };
export type ChildMessage =
  | { type: 'ready'; maxCachedWorkflows: number }
  | { type: 'stats'; written: number; rss: number; heapUsed: number }
  | { type: 'error'; message: string };

async function main(): Promise<void> {
  const setup = JSON.parse(fs.readFileSync(process.argv[2]!, 'utf8')) as OpenOrdersWorkerSetup;
  const send = (m: ChildMessage) => process.send?.(m);
  quietTemporalRuntime();
  const connection = await Connection.connect({ address: setup.address });
  const nativeConnection = await NativeConnection.connect({ address: setup.address });
  let written = 0;
  const worker = await createWorker({
    connection: nativeConnection,
    namespace: setup.namespace,
    taskQueue: setup.taskQueue,
    workflowBundlePath: setup.bundlePath,
    log: pino({ level: 'silent' }),
    activities: createNullActivities({
      client: new Client({ connection, namespace: setup.namespace }),
      taskQueue: setup.taskQueue,
      erpConnection: setup.erpConnection,
      route: setup.route,
      order: setup.order,
      ready: () => [],
      onTrackingWritten: () => void written++,
    }),
  });
  const done = worker.run();
  process.on('message', (m: ParentMessage) => {
    if (m.type === 'stats') {
      const mem = process.memoryUsage();
      send({ type: 'stats', written, rss: mem.rss, heapUsed: mem.heapUsed });
    } else if (m.type === 'stop' && worker.getState() === 'RUNNING') {
      worker.shutdown();
    }
  });
  // Without the parent there is nothing to measure for.
  process.on('disconnect', () => {
    if (worker.getState() === 'RUNNING') worker.shutdown();
  });
  send({ type: 'ready', maxCachedWorkflows: worker.options.maxCachedWorkflows });
  await done;
  await nativeConnection.close();
  await connection.close();
  process.exit(0);
}

main().catch((err: Error) => {
  process.send?.({ type: 'error', message: err.message } satisfies ChildMessage);
  process.exit(1);
});

import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker, type WorkerOptions } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import { requireTemporalCli } from '../../lib/temporal/cli-binary';
import { startDevServer } from '../../lib/temporal/dev-server';
import { WORKFLOWS_PATH } from '../../workers/worker';

/**
 * The real Temporal dev server for workflow tests. `npm test` starts one for the whole run and
 * passes its address; a file run on its own starts its own from the same binary (never a download).
 */
export async function temporalTestEnv(): Promise<TestWorkflowEnvironment> {
  quietRuntime();
  const address = process.env.TEMPORAL_TEST_ADDRESS;
  if (address) {
    return await TestWorkflowEnvironment.createFromExistingServer({
      address,
      namespace: process.env.TEMPORAL_TEST_NAMESPACE ?? 'default',
    });
  }
  // A file run on its own: a server of our own, tied to this process so it stops even if the run is
  // killed (the SDK's ephemeral server would outlive a killed test process).
  const server = await startDevServer({ cliPath: requireTemporalCli().path, ui: false });
  const env = await TestWorkflowEnvironment.createFromExistingServer({
    address: server.address,
    namespace: server.namespace,
  });
  const teardown = env.teardown.bind(env);
  env.teardown = async () => {
    await teardown();
    await server.stop();
  };
  return env;
}

let runtimeInstalled = false;
/** Worker chatter (state changes, bundle stats) only at WARN and above, unless LOG_LEVEL asks for more. */
function quietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  // Failing activities are part of many tests (5xx storms, permission faults): only errors by default.
  const level = ['trace', 'debug', 'info'].includes(process.env.LOG_LEVEL ?? '') ? 'INFO' : 'ERROR';
  Runtime.install({
    logger: new DefaultLogger(level),
    telemetryOptions: { logging: { filter: { core: 'WARN', other: 'ERROR' } } },
  });
}

/** A unique task queue per test, so tests sharing one server never steal each other's tasks. */
export function testTaskQueue(name: string): string {
  return `test-${name}-${randomUUID().slice(0, 8)}`;
}

/** A worker on the test server, using the run's prebuilt bundle when there is one. */
export async function testWorker(
  env: TestWorkflowEnvironment,
  opts: Omit<WorkerOptions, 'connection' | 'workflowsPath' | 'workflowBundle'>,
): Promise<Worker> {
  const bundle = process.env.MLC_TEST_WORKFLOW_BUNDLE;
  return await Worker.create({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    ...(bundle ? { workflowBundle: { codePath: bundle } } : { workflowsPath: WORKFLOWS_PATH }),
    ...opts,
  });
}

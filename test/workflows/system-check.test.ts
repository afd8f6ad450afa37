import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createActivities } from '../../activities';
import { systemCheck } from '../../workflows';
import { createTestDatabase, type TestDatabase } from '../helpers/db';
import { temporalTestEnv, testTaskQueue, testWorker } from '../helpers/temporal';

describe('systemCheck workflow on the real Temporal dev server', () => {
  let env: TestWorkflowEnvironment;
  let db: TestDatabase;

  before(async () => {
    env = await temporalTestEnv();
    db = await createTestDatabase('postgres');
  });
  after(async () => {
    await db?.dispose();
    await env?.teardown();
  });

  it('runs the workflow on a worker whose activity reaches PostgreSQL', async () => {
    const taskQueue = testTaskQueue('system-check');
    const worker = await testWorker(env, { taskQueue, activities: createActivities({ db: db.db }) });
    const result = await worker.runUntil(
      env.client.workflow.execute(systemCheck, { taskQueue, workflowId: `system-check-${taskQueue}` }),
    );
    assert.equal(result.taskQueue, taskQueue);
    assert.equal(result.database.ok, true);
    assert.match(result.database.version, /^PostgreSQL \d+/);
  });

  it('registers the custom search attributes on the server', async () => {
    const { customAttributes } = await env.connection.operatorService.listSearchAttributes({
      namespace: env.namespace ?? 'default',
    });
    for (const name of [
      'MlcConnection',
      'MlcErpOrderNumber',
      'MlcCarrier',
      'MlcTrackingNumber',
      'MlcStatus',
    ]) {
      assert.ok(customAttributes && name in customAttributes, `${name} is registered`);
    }
  });
});

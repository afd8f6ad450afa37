import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { SystemActivities } from '../activities/system/activities';

const { checkDatabase } = proxyActivities<SystemActivities>({
  startToCloseTimeout: '10 seconds',
  retry: { maximumAttempts: 3, initialInterval: '500 ms' },
});

export interface SystemCheckResult {
  taskQueue: string;
  database: { ok: boolean; version: string };
}

/**
 * Proves the whole chain end to end: the server accepts a workflow, a worker on the task queue
 * runs it, and the worker's activities reach the database. `ml-connector doctor` runs it.
 */
export async function systemCheck(): Promise<SystemCheckResult> {
  const database = await checkDatabase();
  return { taskQueue: workflowInfo().taskQueue, database };
}

import type { Client } from '@temporalio/client';

// What an unsettled order's workflow is doing, as Temporal describes it: whether it still runs and,
// for each activity it waits on, the attempt, the last failure and when the next attempt is due.
// The run uses it twice: to tell a pipeline that stopped moving from one whose retries are backing
// off (minutes apart at the retry policy's maximum interval), and to say in the report why an order
// did not settle.

export interface PendingActivity {
  activity: string;
  attempt: number;
  lastFailure?: string;
  /** When Temporal starts the next attempt (absent while an attempt runs). */
  nextAttemptAt?: Date;
}

export interface WorkflowState {
  workflowId: string;
  status: string;
  pending: PendingActivity[];
}

export async function describeWorkflow(client: Client, workflowId: string): Promise<WorkflowState> {
  try {
    const d = await client.workflow.getHandle(workflowId).describe();
    const pending = (d.raw.pendingActivities ?? []).map((a) => ({
      activity: a.activityType?.name ?? '?',
      attempt: a.attempt ?? 0,
      lastFailure: a.lastFailure?.message ?? undefined,
      nextAttemptAt: toDate(a.nextAttemptScheduleTime),
    }));
    return { workflowId, status: d.status.name, pending };
  } catch (err) {
    return { workflowId, status: `not described (${(err as Error).message})`, pending: [] };
  }
}

/** One line for a report: "RUNNING, carrierCreateShipment attempt 8 (last: …), next in 74 s". */
export function describeState(s: WorkflowState, now = Date.now()): string {
  if (s.pending.length === 0) return `${s.status}, no pending activity`;
  const acts = s.pending.map((a) => {
    const last = a.lastFailure ? ` (last failure: ${a.lastFailure.slice(0, 160)})` : '';
    const next = a.nextAttemptAt
      ? `, next attempt in ${Math.max(0, Math.round((a.nextAttemptAt.getTime() - now) / 1000))} s`
      : ', attempt running';
    return `${a.activity} attempt ${a.attempt}${last}${next}`;
  });
  return `${s.status}, ${acts.join('; ')}`;
}

function toDate(ts: { seconds?: unknown; nanos?: number | null } | null | undefined): Date | undefined {
  if (!ts || ts.seconds === undefined || ts.seconds === null) return undefined;
  return new Date(Number(ts.seconds) * 1000 + Math.round((ts.nanos ?? 0) / 1e6));
}

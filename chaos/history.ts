import type { Client } from '@temporalio/client';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { SecretScanner } from './secrets';

// Reads every workflow history of the run's namespace once: each history is scanned for secrets
// as the server stores it (encrypted payloads, plain failure messages) and with every payload
// decoded through the app's codec; and the write-backs each order workflow completed are counted,
// the expected number of Plex writes per order.

const History = temporal.api.history.v1.History;

export interface HistoryScan {
  executions: number;
  payloads: number;
  /** Per order workflow id (all its runs): completed erpWriteTracking + erpWriteStatus activities. */
  writeBacks: Map<string, number>;
  /**
   * Per order workflow id: write-back activities scheduled and never completed (still retrying when
   * the run ended, or given up): each may have written once without its answer arriving.
   */
  unfinishedWriteBacks: Map<string, number>;
  /** Per order workflow id: activity attempts that failed or timed out (to show how hard chaos hit). */
  failedAttempts: Map<string, number>;
}

const WRITE_ACTIVITIES = new Set(['erpWriteTracking', 'erpWriteStatus']);

export async function scanHistories(
  client: Client,
  codec: PayloadCodec,
  scanner: SecretScanner,
  opts: { concurrency?: number } = {},
): Promise<HistoryScan> {
  const scan: HistoryScan = {
    executions: 0,
    payloads: 0,
    writeBacks: new Map(),
    unfinishedWriteBacks: new Map(),
    failedAttempts: new Map(),
  };
  const executions: Array<{ workflowId: string; runId: string }> = [];
  for await (const wf of client.workflow.list())
    executions.push({ workflowId: wf.workflowId, runId: wf.runId });

  let next = 0;
  const work = async () => {
    while (next < executions.length) {
      const { workflowId, runId } = executions[next++]!;
      const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
      scan.executions++;
      const where = `history ${workflowId} (run ${runId})`;
      scanner.bytes('workflow histories', where, History.encode(history).finish());
      for (const payload of payloadsIn(history)) {
        scan.payloads++;
        const [decoded] = await codec.decode([payload]);
        scanner.bytes('history payloads', where, decoded?.data ?? new Uint8Array());
      }
      if (workflowId.startsWith('order/')) countWrites(scan, workflowId, history);
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency ?? 8 }, work));
  return scan;
}

function countWrites(scan: HistoryScan, workflowId: string, history: temporal.api.history.v1.IHistory) {
  const scheduled = new Map<string, string>();
  const open = new Set<string>();
  let writes = 0;
  let failed = 0;
  for (const e of history.events ?? []) {
    const name = e.activityTaskScheduledEventAttributes?.activityType?.name;
    if (name) scheduled.set(String(e.eventId), name);
    if (name && WRITE_ACTIVITIES.has(name)) open.add(String(e.eventId));
    const completed = e.activityTaskCompletedEventAttributes?.scheduledEventId;
    if (completed !== undefined && completed !== null) {
      if (WRITE_ACTIVITIES.has(scheduled.get(String(completed)) ?? '')) writes++;
      open.delete(String(completed));
    }
    // The attempt that finally closed an activity says how many came before it.
    const attempt = e.activityTaskStartedEventAttributes?.attempt;
    if (attempt && attempt > 1) failed += attempt - 1;
  }
  scan.writeBacks.set(workflowId, (scan.writeBacks.get(workflowId) ?? 0) + writes);
  scan.unfinishedWriteBacks.set(workflowId, (scan.unfinishedWriteBacks.get(workflowId) ?? 0) + open.size);
  scan.failedAttempts.set(workflowId, (scan.failedAttempts.get(workflowId) ?? 0) + failed);
}

/** Every Payload object anywhere in a history (inputs, results, signals, memo, headers, failures). */
function payloadsIn(root: unknown): Payload[] {
  const out: Payload[] = [];
  const seen = new Set<unknown>();
  const walk = (v: unknown) => {
    if (v === null || typeof v !== 'object' || seen.has(v) || v instanceof Uint8Array) return;
    seen.add(v);
    const o = v as Record<string, unknown>;
    if (o.data instanceof Uint8Array && o.metadata && typeof o.metadata === 'object') {
      out.push(o as Payload);
      return;
    }
    for (const k of Object.keys(o)) walk(o[k]);
  };
  walk(root);
  return out;
}

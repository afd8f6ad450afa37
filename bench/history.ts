import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

const EventType = temporal.api.enums.v1.EventType;

export interface HistoryCost {
  events: number;
  /** Billable-style actions: workflow started + activities (with retries) + signals + timers. */
  actions: number;
  activities: number;
  signals: number;
  timers: number;
  /** Search-attribute upserts, which Temporal Cloud also counts as actions; shown apart. */
  upserts: number;
  /**
   * Events by type (EVENT_TYPE_ prefix dropped), to show where the events come from, plus
   * `activity <name>` counts of the activities scheduled (not events themselves).
   */
  byType: Record<string, number>;
}

type Count = Exclude<keyof HistoryCost, 'byType'>;

/** Events and actions of one workflow's history (its latest run). */
export async function historyCost(client: Client, workflowId: string): Promise<HistoryCost> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const cost: HistoryCost = {
    events: 0,
    actions: 0,
    activities: 0,
    signals: 0,
    timers: 0,
    upserts: 0,
    byType: {},
  };
  for (const e of history.events ?? []) {
    cost.events++;
    const type = (EventType[e.eventType ?? 0] ?? String(e.eventType)).replace(/^EVENT_TYPE_/, '');
    cost.byType[type] = (cost.byType[type] ?? 0) + 1;
    const activity = e.activityTaskScheduledEventAttributes?.activityType?.name;
    if (activity) cost.byType[`activity ${activity}`] = (cost.byType[`activity ${activity}`] ?? 0) + 1;
    switch (e.eventType) {
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
        cost.actions++;
        break;
      case EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED: {
        // One action per attempt: the started event carries the attempt that completed.
        const attempts = e.activityTaskStartedEventAttributes?.attempt ?? 1;
        cost.activities += attempts;
        cost.actions += attempts;
        break;
      }
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
        cost.signals++;
        cost.actions++;
        break;
      case EventType.EVENT_TYPE_TIMER_STARTED:
        cost.timers++;
        cost.actions++;
        break;
      case EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
        cost.upserts++;
        break;
    }
  }
  return cost;
}

export function averageCost(costs: HistoryCost[]): HistoryCost {
  const n = Math.max(1, costs.length);
  const sum = (k: Count) => costs.reduce((s, c) => s + c[k], 0) / n;
  const byType: Record<string, number> = {};
  for (const c of costs) for (const [t, v] of Object.entries(c.byType)) byType[t] = (byType[t] ?? 0) + v / n;
  return {
    events: sum('events'),
    actions: sum('actions'),
    activities: sum('activities'),
    signals: sum('signals'),
    timers: sum('timers'),
    upserts: sum('upserts'),
    byType,
  };
}

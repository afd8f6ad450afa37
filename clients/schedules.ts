import { ScheduleNotFoundError, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import type { Logger } from 'pino';
import {
  erpPollScheduleId,
  inventorySyncScheduleId,
  shipmentPollScheduleId,
  trackingSweepScheduleId,
} from '../domain/ids';
import type { Config } from '../lib/config';
import { systemOf } from '../connectors/registry';

export interface ScheduleSpecOf {
  scheduleId: string;
  workflowType: 'erpPoll' | 'trackingSweep' | 'shipmentPoll' | 'inventorySync';
  every: string;
  args:
    | [{ erpConnection: string }]
    | [{ carrierConnection: string }]
    | [{ carrierConnection: string; erpConnection: string }];
}

/**
 * One ERP poll per ERP connection and, per carrier connection that a mapping uses, a tracking sweep
 * (label carriers) or a shipment poll plus an inventory sync per mapped ERP (warehouse systems).
 */
export function desiredSchedules(config: Config, active: ReadonlySet<string>): ScheduleSpecOf[] {
  const out: ScheduleSpecOf[] = [];
  const used = new Set(config.mappings.flatMap((m) => [m.erp, m.carrier]));
  for (const [name, conn] of Object.entries(config.connections)) {
    if (!used.has(name) || !active.has(name)) continue;
    const system = systemOf(conn.system);
    if (system.role === 'erp') {
      out.push({
        scheduleId: erpPollScheduleId(name),
        workflowType: 'erpPoll',
        every: config.schedules.erpPoll.every,
        args: [{ erpConnection: name }],
      });
    } else if (system.mode === 'warehouse') {
      out.push({
        scheduleId: shipmentPollScheduleId(name),
        workflowType: 'shipmentPoll',
        every: config.schedules.shipmentPoll.every,
        args: [{ carrierConnection: name }],
      });
      // One ERP owns the stock a warehouse holds: the first mapping's (more would overwrite each other).
      const owner = config.mappings.find((m) => m.carrier === name && active.has(m.erp));
      if (owner && config.schedules.inventorySync.enabled) {
        out.push({
          scheduleId: inventorySyncScheduleId(name),
          workflowType: 'inventorySync',
          every: config.schedules.inventorySync.every,
          args: [{ carrierConnection: name, erpConnection: owner.erp }],
        });
      }
    } else {
      out.push({
        scheduleId: trackingSweepScheduleId(name),
        workflowType: 'trackingSweep',
        every: config.schedules.trackingSweep.every,
        args: [{ carrierConnection: name }],
      });
    }
  }
  return out;
}

/**
 * Create the schedules, or bring existing ones to the configured interval (a paused schedule stays
 * paused: pausing is an operator's decision). Overlap SKIP: a slow poll is never run twice at once.
 */
export async function ensureSchedules(
  client: Client,
  taskQueue: string,
  wanted: ScheduleSpecOf[],
  log: Logger,
): Promise<void> {
  for (const s of wanted) {
    const action = {
      type: 'startWorkflow' as const,
      workflowType: s.workflowType,
      taskQueue,
      args: s.args,
      workflowId: s.scheduleId,
    };
    const spec = { intervals: [{ every: s.every as `${number}${'s' | 'm' | 'h'}` }] };
    const handle = client.schedule.getHandle(s.scheduleId);
    try {
      await handle.update((prev) => ({ ...prev, spec, action }));
      log.info({ scheduleId: s.scheduleId, every: s.every }, 'schedule updated');
    } catch (err) {
      if (!(err instanceof ScheduleNotFoundError)) throw err;
      await client.schedule.create({
        scheduleId: s.scheduleId,
        spec,
        action,
        policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 minute' },
        state: { triggerImmediately: true },
      });
      log.info({ scheduleId: s.scheduleId, every: s.every }, 'schedule created');
    }
  }
}

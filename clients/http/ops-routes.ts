import { timingSafeEqual } from 'node:crypto';
import type http from 'node:http';
import {
  isGrpcServiceError,
  ScheduleNotFoundError,
  WorkflowNotFoundError,
  type Client,
} from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { isOrderStatus } from '../../domain/lifecycle';
import type { Repos } from '../../lib/db/repos';
import type { Order } from '../../lib/db/types';
import { UNKNOWN_CONNECTION } from '../connectors';
import { cancelSignal, retrySignal, statusQuery } from '../../workflows/messages';
import { sendJson, type Handler } from './server';

/**
 * The operator API behind `ml-connector orders|schedules|connections`: the CLI talks to the running
 * app, which holds the database (the embedded one admits a single process) and the Temporal client.
 * Bound to 127.0.0.1 by default; with `http.opsToken` set, every call needs that bearer token.
 * An order, schedule, label or connection it does not know is a 404 with a one-line `{error}`.
 */
export interface OpsDeps {
  repos: Repos;
  client: Client;
  /** Schedules this app manages (ids). */
  scheduleIds: () => string[];
  testConnection: (name: string) => Promise<{ ok: boolean; reason: string; message: string }>;
  token?: string;
}

/** gRPC status NOT_FOUND. */
const GRPC_NOT_FOUND = 5;

function authorized(req: http.IncomingMessage, token: string | undefined): boolean {
  if (!token) return true;
  const given = Buffer.from(req.headers.authorization ?? '');
  const expected = Buffer.from(`Bearer ${token}`);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function guarded(token: string | undefined, handler: Handler): Handler {
  return async (req, res, body, params) => {
    if (!authorized(req, token))
      return sendJson(res, 401, { error: 'missing or wrong bearer token (http.opsToken)' });
    await handler(req, res, body, params);
  };
}

/**
 * An id from the URL as an error message shows it: control characters (a `%0A` in the path) are
 * escaped, so the message stays one line.
 */
function shown(id: string): string {
  return id.replace(
    // eslint-disable-next-line no-control-regex -- escaping control characters is the point
    /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

function jsonBody(body: Buffer): Record<string, unknown> {
  if (body.length === 0) return {};
  const parsed: unknown = JSON.parse(body.toString('utf8'));
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new Error('body must be a JSON object');
  return parsed as Record<string, unknown>;
}

/** A readable timeline from the workflow history: what happened when, without payloads. */
async function historyTimeline(client: Client, workflowId: string) {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const out: Array<{ at: string; event: string; detail?: string }> = [];
  for (const e of history.events ?? []) {
    const at = e.eventTime?.seconds
      ? new Date(
          Number(e.eventTime.seconds) * 1000 + Math.floor((e.eventTime.nanos ?? 0) / 1e6),
        ).toISOString()
      : '';
    const type = (temporal.api.enums.v1.EventType[e.eventType ?? 0] ?? '').replace(/^EVENT_TYPE_/, '');
    const a = e.activityTaskScheduledEventAttributes;
    const s = e.workflowExecutionSignaledEventAttributes;
    const f = e.activityTaskFailedEventAttributes;
    if (a) out.push({ at, event: 'activity scheduled', detail: a.activityType?.name ?? undefined });
    else if (s) out.push({ at, event: 'signal', detail: s.signalName ?? undefined });
    else if (f) out.push({ at, event: 'activity failed', detail: f.failure?.message ?? undefined });
    else if (e.activityTaskCompletedEventAttributes) out.push({ at, event: 'activity completed' });
    else if (e.workflowExecutionStartedEventAttributes) out.push({ at, event: 'workflow started' });
    else if (e.workflowExecutionCompletedEventAttributes) out.push({ at, event: 'workflow completed' });
    else if (e.workflowExecutionContinuedAsNewEventAttributes) out.push({ at, event: 'continued as new' });
    else if (e.timerStartedEventAttributes) out.push({ at, event: 'timer started' });
    else if (type && !/WORKFLOW_TASK|ACTIVITY_TASK_STARTED|UPSERT|MARKER/.test(type))
      out.push({ at, event: type.toLowerCase().replace(/_/g, ' ') });
  }
  return out;
}

export function opsRoutes(deps: OpsDeps): Record<string, Handler> {
  const { repos, client } = deps;
  /**
   * The order, or undefined after answering 404: for a connection this app has never had (the
   * connections table mirrors the configured ones at start) the message says so.
   */
  const findOrder = async (
    res: http.ServerResponse,
    connection: string,
    orderKey: string,
  ): Promise<Order | undefined> => {
    const order = await repos.orders.get(connection, orderKey);
    if (order) return order;
    const known = await repos.connections.get(connection);
    sendJson(res, 404, {
      error: known
        ? `no order ${shown(orderKey)} in connection ${shown(connection)}`
        : `no connection ${shown(connection)} (so no order ${shown(orderKey)})`,
    });
    return undefined;
  };

  /** False when the order's workflow is not running (completed, terminated, or never started). */
  const signalOrder = async (order: Order, what: 'retry' | 'cancel', reason?: string): Promise<boolean> => {
    const handle = client.workflow.getHandle(order.workflow_id);
    try {
      if (what === 'retry') await handle.signal(retrySignal, { by: 'operator' });
      else await handle.signal(cancelSignal, { by: 'operator', reason });
    } catch (err) {
      // Temporal answers NotFound both for an unknown workflow and for one that has completed.
      if (err instanceof WorkflowNotFoundError) return false;
      throw err;
    }
    await repos.audit.append({
      actor: 'operator',
      action: `order.${what}.requested`,
      outcome: 'ok',
      connection: order.connection,
      orderKey: order.order_key,
      workflowId: handle.workflowId,
      details: reason ? { reason } : {},
    });
    return true;
  };
  const notRunning = (res: http.ServerResponse, order: Order, what: 'retry' | 'cancel') =>
    sendJson(res, 409, {
      error: `order ${shown(order.order_key)} in connection ${shown(order.connection)} has no running workflow (status ${order.status}): nothing to ${what}`,
    });

  const routes: Record<string, Handler> = {
    'GET /api/orders': async (req, res) => {
      const q = new URL(req.url ?? '/', 'http://x').searchParams;
      const status = q.get('status') ?? undefined;
      if (status !== undefined && !isOrderStatus(status))
        return sendJson(res, 400, { error: `unknown status "${shown(status)}"` });
      const connection = q.get('connection') ?? undefined;
      if (connection !== undefined && !(await repos.connections.get(connection)))
        return sendJson(res, 404, { error: `no connection ${shown(connection)}` });
      const limit = Math.min(Number(q.get('limit') ?? 100) || 100, 1000);
      const orders = await repos.orders.list({ status, connection, limit });
      sendJson(res, 200, { orders, counts: await repos.orders.countByStatus() });
    },
    'GET /api/orders/:connection/:orderKey': async (_req, res, _body, p) => {
      const order = await findOrder(res, p.connection!, p.orderKey!);
      if (!order) return;
      const shipment = await repos.shipments.findByKey(`ship:${order.workflow_id}`);
      const events = shipment?.master_tracking_number
        ? await repos.trackingEvents.listForTrackingNumber(shipment.master_tracking_number)
        : [];
      const audit = await repos.audit.listForOrder(p.connection!, p.orderKey!);
      let workflow: unknown;
      let timeline: unknown[] = [];
      try {
        workflow = await client.workflow.getHandle(order.workflow_id).query(statusQuery);
      } catch {
        workflow = undefined; // completed long ago or not found: the DB record still answers
      }
      try {
        timeline = await historyTimeline(client, order.workflow_id);
      } catch (err) {
        // fetchHistory reports a workflow that never started (or whose history the server no longer
        // keeps) as a plain gRPC NOT_FOUND, not as WorkflowNotFoundError.
        const notFound =
          err instanceof WorkflowNotFoundError || (isGrpcServiceError(err) && err.code === GRPC_NOT_FOUND);
        if (!notFound) throw err;
      }
      sendJson(res, 200, { order, shipment, trackingEvents: events, audit, workflow, timeline });
    },
    'GET /api/orders/:connection/:orderKey/labels': async (_req, res, _b, p) => {
      const order = await findOrder(res, p.connection!, p.orderKey!);
      if (!order) return;
      const shipment = await repos.shipments.findByKey(`ship:${order.workflow_id}`);
      if (!shipment)
        return sendJson(res, 404, {
          error: `no shipment for order ${shown(p.orderKey!)} in connection ${shown(p.connection!)}`,
        });
      const labels = await repos.labels.listForShipment(shipment.id);
      sendJson(res, 200, {
        // Each stored document says what it is: a label, or the commercial invoice printed with it.
        labels: labels.map((l) => ({ id: l.id, kind: l.kind, format: l.format, bytes: l.content.length })),
        ...(shipment.label_url
          ? { url: shipment.label_url, urlExpiresAt: shipment.label_url_expires_at }
          : {}),
      });
    },
    'GET /api/labels/:id': async (_req, res, _b, p) => {
      const label = await repos.labels.get(p.id!);
      if (!label) return sendJson(res, 404, { error: `no label ${shown(p.id!)}` });
      const type = label.format === 'PDF' ? 'application/pdf' : 'text/plain; charset=utf-8';
      res.writeHead(200, { 'content-type': type, 'content-length': label.content.length });
      res.end(label.content);
    },
    'POST /api/orders/:connection/:orderKey/retry': async (_req, res, _b, p) => {
      const order = await findOrder(res, p.connection!, p.orderKey!);
      if (!order) return;
      if (!(await signalOrder(order, 'retry'))) return notRunning(res, order, 'retry');
      sendJson(res, 202, { signalled: 'retry' });
    },
    'POST /api/orders/:connection/:orderKey/cancel': async (_req, res, body, p) => {
      let reason: unknown;
      try {
        reason = jsonBody(body).reason;
      } catch (err) {
        return sendJson(res, 400, { error: (err as Error).message.split('\n')[0] });
      }
      const order = await findOrder(res, p.connection!, p.orderKey!);
      if (!order) return;
      const sent = await signalOrder(
        order,
        'cancel',
        typeof reason === 'string' ? reason.slice(0, 500) : undefined,
      );
      if (!sent) return notRunning(res, order, 'cancel');
      sendJson(res, 202, { signalled: 'cancel' });
    },
    'POST /api/orders/retry-needs-attention': async (_req, res) => {
      const parked = await repos.orders.list({ status: 'needs_attention', limit: 1000 });
      let signalled = 0;
      for (const o of parked) if (await signalOrder(o, 'retry')) signalled++;
      sendJson(res, 202, { signalled, notRunning: parked.length - signalled });
    },
    'GET /api/schedules': async (_req, res) => {
      const schedules = [];
      for (const id of deps.scheduleIds()) {
        try {
          const d = await client.schedule.getHandle(id).describe();
          schedules.push({
            id,
            paused: d.state.paused,
            note: d.state.note,
            everyMs: d.spec.intervals?.map((i) => Number(i.every)),
            recentActions: d.info.recentActions.length,
            nextActionTimes: d.info.nextActionTimes.slice(0, 1),
          });
        } catch (err) {
          if (!(err instanceof ScheduleNotFoundError)) throw err;
          schedules.push({ id, missing: true });
        }
      }
      sendJson(res, 200, { schedules });
    },
    'POST /api/schedules/:id/:action': async (_req, res, body, p) => {
      if (!deps.scheduleIds().includes(p.id!))
        return sendJson(res, 404, { error: `no schedule ${shown(p.id!)}` });
      const handle = client.schedule.getHandle(p.id!);
      const note = `by operator via ml-connector`;
      try {
        if (p.action === 'pause') await handle.pause(note);
        else if (p.action === 'resume') await handle.unpause(note);
        else if (p.action === 'trigger') await handle.trigger();
        else if (p.action === 'backfill') {
          let start: unknown, end: unknown;
          try {
            ({ start, end } = jsonBody(body));
          } catch {
            // not a JSON object: the same answer as missing times
          }
          if (
            typeof start !== 'string' ||
            typeof end !== 'string' ||
            isNaN(Date.parse(start)) ||
            isNaN(Date.parse(end))
          ) {
            return sendJson(res, 400, { error: 'backfill needs {"start": ISO time, "end": ISO time}' });
          }
          await handle.backfill({ start: new Date(start), end: new Date(end) });
        } else
          return sendJson(res, 400, {
            error: `unknown action "${shown(p.action!)}" (pause, resume, trigger, backfill)`,
          });
      } catch (err) {
        // One this app manages but has not created on the server yet (`schedules list`: not created yet).
        if (err instanceof ScheduleNotFoundError)
          return sendJson(res, 404, {
            error: `no schedule ${shown(p.id!)} on the Temporal server (not created yet)`,
          });
        throw err;
      }
      await repos.audit.append({
        actor: 'operator',
        action: `schedule.${p.action}`,
        outcome: 'ok',
        details: { scheduleId: p.id },
      });
      sendJson(res, 202, { [p.action!]: p.id });
    },
    'POST /api/connections/:name/test': async (_req, res, _b, p) => {
      const result = await deps.testConnection(p.name!);
      if (result.reason === UNKNOWN_CONNECTION)
        return sendJson(res, 404, { error: `${shown(p.name!)}: ${result.message}` });
      sendJson(res, result.ok ? 200 : 502, result);
    },
  };
  return Object.fromEntries(Object.entries(routes).map(([k, h]) => [k, guarded(deps.token, h)]));
}

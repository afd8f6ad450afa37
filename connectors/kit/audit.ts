// The audit table's row for an external call, as every connector writes it: one per request the
// kit's call path sent (from its CallAuditEntry), plus the few rows a connector writes for steps of
// its own (a stock movement recorded, say). Never bodies, never headers.

import type { Logger } from 'pino';
import type { CallAuditEntry } from './http';

export interface AuditRow<S extends string = string> {
  actor: string;
  action: string;
  outcome: 'ok' | 'error';
  connection: string;
  system: S;
  correlationId?: string;
  httpMethod: string;
  httpPath: string;
  httpStatus?: number;
  durationMs: number;
  details: Record<string, unknown>;
}

export type AuditRowSink<S extends string = string> = (row: AuditRow<S>) => Promise<void>;

/** Who writes the rows: the system, the connection and the actor ("plex-client"). */
export interface AuditSource<S extends string> {
  system: S;
  connection: string;
  actor: string;
}

/** The kit's entry for one request as the audit row (action `<system>.<operation>`). */
export function auditRow<S extends string>(e: CallAuditEntry, from: AuditSource<S>): AuditRow<S> {
  return {
    actor: from.actor,
    action: `${from.system}.${e.operation}`,
    outcome: e.outcome === 'ok' ? 'ok' : 'error',
    connection: from.connection,
    system: from.system,
    ...(e.correlationId ? { correlationId: e.correlationId } : {}),
    httpMethod: e.method,
    httpPath: e.path,
    ...(e.status !== undefined ? { httpStatus: e.status } : {}),
    durationMs: e.durationMs,
    details: {
      ...(e.errorType ? { type: e.errorType } : {}),
      ...(e.code ? { code: e.code } : {}),
      ...(e.retryInMs !== undefined ? { retryInMs: e.retryInMs } : {}),
      ...(e.transport ? { transport: e.transport } : {}),
      ...(e.outcome === 'cancelled' ? { cancelled: true } : {}),
      ...(e.attempt > 1 ? { attempt: e.attempt } : {}),
    },
  };
}

/**
 * A row of the connector's own (not a request). A broken audit sink never changes the outcome of
 * what is being recorded: the failure is logged and the row is lost.
 */
export async function writeAuditRow<S extends string>(
  sink: AuditRowSink<S> | undefined,
  from: AuditSource<S>,
  entry: Omit<AuditRow<S>, 'actor' | 'system' | 'connection'>,
  log: Logger,
): Promise<void> {
  if (!sink) return;
  try {
    await sink({ actor: from.actor, system: from.system, connection: from.connection, ...entry });
  } catch (err) {
    log.warn({ err: (err as Error).message, action: entry.action }, 'audit write failed');
  }
}

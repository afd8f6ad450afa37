import type { Kysely } from 'kysely';
import type { AuditEntry, Database } from '../types';

export interface AuditInput {
  actor: string;
  action: string;
  outcome: string;
  at?: Date;
  connection?: string | null;
  system?: string | null;
  workflowId?: string | null;
  orderKey?: string | null;
  correlationId?: string | null;
  httpMethod?: string | null;
  httpPath?: string | null;
  httpStatus?: number | null;
  durationMs?: number | null;
  /** Never secrets: callers pass redacted, non-sensitive details only. */
  details?: Record<string, unknown>;
}

/** Append-only audit log. The table's trigger refuses UPDATE and DELETE; this repo only inserts. */
export class AuditRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async append(entry: AuditInput): Promise<string> {
    const row = await this.db
      .insertInto('audit_log')
      .values({
        ...(entry.at ? { at: entry.at } : {}),
        actor: entry.actor,
        action: entry.action,
        outcome: entry.outcome,
        connection: entry.connection ?? null,
        system: entry.system ?? null,
        workflow_id: entry.workflowId ?? null,
        order_key: entry.orderKey ?? null,
        correlation_id: entry.correlationId ?? null,
        http_method: entry.httpMethod ?? null,
        http_path: entry.httpPath ?? null,
        http_status: entry.httpStatus ?? null,
        duration_ms:
          entry.durationMs === undefined || entry.durationMs === null ? null : Math.round(entry.durationMs),
        details: JSON.stringify(entry.details ?? {}),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  }

  /** Oldest first. */
  async listForOrder(connection: string, orderKey: string): Promise<AuditEntry[]> {
    return this.db
      .selectFrom('audit_log')
      .selectAll()
      .where('connection', '=', connection)
      .where('order_key', '=', orderKey)
      .orderBy('id')
      .execute();
  }

  /** Oldest first. */
  async listForWorkflow(workflowId: string): Promise<AuditEntry[]> {
    return this.db
      .selectFrom('audit_log')
      .selectAll()
      .where('workflow_id', '=', workflowId)
      .orderBy('id')
      .execute();
  }
}

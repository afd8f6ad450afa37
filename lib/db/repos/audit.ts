import type { Kysely } from 'kysely';
import { GroupCommit } from '../group-commit';
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

/** Rows one insert carries at most when appends pile up (see AuditRepo.append). */
const MAX_BATCH = 200;
/**
 * Inserts start at least this far apart when appends keep coming (GroupCommit's spacingMs). A busy
 * worker writes an audit row for every API call, a dozen per order; activities do not wait for each
 * row but for all of theirs at the end (see an ERP connector's activities), so a batch every 50 ms costs an
 * activity at most 50 ms and the database one insert where it took three or four.
 */
const SPACING_MS = 50;

type AuditRow = ReturnType<typeof toRow>;

/**
 * Append-only audit log. The table's trigger refuses UPDATE and DELETE; this repo only inserts.
 *
 * Appends are group-committed (lib/db/group-commit.ts): appends of the same event-loop turn, those
 * that arrive while an insert is on its way, and under load those of the next 50 ms, go together in
 * one multi-row insert. Each
 * append still resolves only once its own row is committed, so nothing is acknowledged that could
 * be lost; a busy worker (an audit row for every API call) pays one round trip per batch.
 */
export class AuditRepo {
  private readonly rows = new GroupCommit<AuditRow, string>({
    write: (rows) => this.insert(rows),
    maxBatch: MAX_BATCH,
    spacingMs: SPACING_MS,
  });

  constructor(private readonly db: Kysely<Database>) {}

  append(entry: AuditInput): Promise<string> {
    return this.rows.add(toRow(entry));
  }

  /** The new ids in the rows' order (a multi-row insert draws its ids from the sequence row by row). */
  private async insert(rows: AuditRow[]): Promise<string[]> {
    const out = await this.db.insertInto('audit_log').values(rows).returning('id').execute();
    return out
      .map((r) => BigInt(r.id))
      .sort((x, y) => (x < y ? -1 : x > y ? 1 : 0))
      .map(String);
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

function toRow(entry: AuditInput) {
  return {
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
  };
}

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

/** Rows one insert carries at most when appends pile up (see AuditRepo.append). */
const MAX_BATCH = 200;

type AuditRow = ReturnType<typeof toRow>;

interface Pending {
  row: AuditRow;
  resolve: (id: string) => void;
  reject: (err: unknown) => void;
}

/**
 * Append-only audit log. The table's trigger refuses UPDATE and DELETE; this repo only inserts.
 *
 * Appends are group-committed: while one insert is on its way, the appends that arrive wait and
 * then go together in one multi-row insert. Each append still resolves only once its own row is
 * committed, so nothing is acknowledged that could be lost; a busy worker (an audit row for every
 * API call) pays one round trip per batch instead of one per row.
 */
export class AuditRepo {
  private queue: Pending[] = [];
  private flushing = false;

  constructor(private readonly db: Kysely<Database>) {}

  append(entry: AuditInput): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      this.queue.push({ row: toRow(entry), resolve, reject });
      if (!this.flushing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, MAX_BATCH);
        try {
          const ids = await this.insert(batch.map((p) => p.row));
          batch.forEach((p, i) => p.resolve(ids[i]!));
        } catch (err) {
          if (batch.length === 1) {
            batch[0]!.reject(err);
            continue;
          }
          // One bad row must not fail its neighbours: each goes alone and fails alone.
          for (const p of batch) {
            try {
              p.resolve((await this.insert([p.row]))[0]!);
            } catch (e) {
              p.reject(e);
            }
          }
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  /** The new ids in the rows' order (a multi-row insert draws its ids from the sequence row by row). */
  private async insert(rows: AuditRow[]): Promise<string[]> {
    const out = await this.db.insertInto('audit_log').values(rows).returning('id').execute();
    if (out.length !== rows.length) {
      throw new Error(`audit insert returned ${out.length} ids for ${rows.length} rows`);
    }
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

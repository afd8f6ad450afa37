import { sql, type Kysely } from 'kysely';
import type { Database, WebhookInboxEntry } from '../types';

export interface InboxDelivery {
  source: string;
  dedupKey: string;
  eventType?: string | null;
  /** Only headers worth keeping: callers strip authorization and signature secrets first. */
  headers: Record<string, string>;
  body: string;
}

const MAX_ERROR_LENGTH = 2000;

/**
 * Every verified webhook delivery is stored once before it is acted on. Processors claim rows
 * with FOR UPDATE SKIP LOCKED, so several workers can drain the inbox without taking the same row.
 */
export class WebhookInboxRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async insertOnce(delivery: InboxDelivery): Promise<{ id: string; duplicate: boolean }> {
    const row = await this.db
      .insertInto('webhook_inbox')
      .values({
        source: delivery.source,
        dedup_key: delivery.dedupKey,
        event_type: delivery.eventType ?? null,
        headers: JSON.stringify(delivery.headers),
        body: delivery.body,
      })
      .onConflict((oc) => oc.columns(['source', 'dedup_key']).doNothing())
      .returning('id')
      .executeTakeFirst();
    if (row) return { id: row.id, duplicate: false };
    const existing = await this.db
      .selectFrom('webhook_inbox')
      .select('id')
      .where('source', '=', delivery.source)
      .where('dedup_key', '=', delivery.dedupKey)
      .executeTakeFirstOrThrow();
    return { id: existing.id, duplicate: true };
  }

  /**
   * Claims up to `limit` rows to process, oldest first: new ones, and ones whose processor
   * claimed them more than `staleAfterMs` ago without finishing (it probably died). With `source`,
   * only that source's rows (one processor per source); without it, any source's.
   */
  async claimNext(
    limit: number,
    opts: { staleAfterMs?: number; source?: string } = {},
  ): Promise<WebhookInboxEntry[]> {
    const staleSeconds = (opts.staleAfterMs ?? 5 * 60_000) / 1000;
    const source = opts.source;
    return this.db
      .updateTable('webhook_inbox')
      .set({ status: 'processing', claimed_at: sql`now()`, attempts: sql`attempts + 1` })
      .where('id', 'in', (eb) =>
        eb
          .selectFrom('webhook_inbox')
          .select('id')
          .$if(source !== undefined, (q) => q.where('source', '=', source!))
          .where((w) =>
            w.or([
              w('status', '=', 'received'),
              w.and([
                w('status', '=', 'processing'),
                w('claimed_at', '<', sql<Date>`now() - make_interval(secs => ${staleSeconds})`),
              ]),
            ]),
          )
          .orderBy('id')
          .limit(limit)
          .forUpdate()
          .skipLocked(),
      )
      .returningAll()
      .execute()
      .then((rows) => rows.sort((a, b) => compareIds(a.id, b.id)));
  }

  async markProcessed(id: string): Promise<void> {
    await this.db
      .updateTable('webhook_inbox')
      .set({ status: 'processed', processed_at: sql`now()`, error: null })
      .where('id', '=', id)
      .execute();
  }

  /**
   * Records a failed attempt. The row goes back to `received` for another try until it has been
   * attempted `maxAttempts` times, then stays `failed` for an operator to look at.
   */
  async markFailed(id: string, error: string, opts: { maxAttempts?: number } = {}): Promise<void> {
    const maxAttempts = opts.maxAttempts ?? 5;
    await this.db
      .updateTable('webhook_inbox')
      .set({
        status: sql`CASE WHEN attempts >= ${maxAttempts} THEN 'failed' ELSE 'received' END`,
        error: error.slice(0, MAX_ERROR_LENGTH),
        claimed_at: null,
      })
      .where('id', '=', id)
      .execute();
  }

  async get(id: string): Promise<WebhookInboxEntry | undefined> {
    return this.db.selectFrom('webhook_inbox').selectAll().where('id', '=', id).executeTakeFirst();
  }
}

/** bigserial ids arrive as strings; compare them as numbers. */
function compareIds(a: string, b: string): number {
  const d = BigInt(a) - BigInt(b);
  return d < 0n ? -1 : d > 0n ? 1 : 0;
}

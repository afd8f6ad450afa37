import { sql, type Kysely } from 'kysely';
import type { Database } from '../types';

export interface Watermark {
  watermark: Date;
  cursor: string | null;
}

/** Where each ERP poll stream got to. */
export class WatermarkRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async get(connection: string, stream: string): Promise<Watermark | undefined> {
    return this.db
      .selectFrom('poll_watermarks')
      .select(['watermark', 'cursor'])
      .where('connection', '=', connection)
      .where('stream', '=', stream)
      .executeTakeFirst();
  }

  /**
   * Moves the watermark forward, never back: a slow poll finishing after a faster one must not
   * make the next poll re-read (or, worse, skip) a window. An equal watermark may change the
   * cursor (paging within one timestamp). Returns whether the stored value changed.
   */
  async advance(
    connection: string,
    stream: string,
    watermark: Date,
    cursor?: string | null,
  ): Promise<boolean> {
    const row = await this.db
      .insertInto('poll_watermarks')
      .values({ connection, stream, watermark, cursor: cursor ?? null })
      .onConflict((oc) =>
        oc
          .columns(['connection', 'stream'])
          .doUpdateSet({
            watermark: (eb) => eb.ref('excluded.watermark'),
            cursor: (eb) => eb.ref('excluded.cursor'),
            updated_at: sql`now()`,
          })
          .where('poll_watermarks.watermark', '<=', watermark),
      )
      .returning('connection')
      .executeTakeFirst();
    return row !== undefined;
  }
}

import { sql, type Kysely, type Selectable } from 'kysely';
import type { ConnectionsTable, Database } from '../types';

export type ConnectionRow = Selectable<ConnectionsTable>;

/** The config's connections, mirrored at start so rows elsewhere can name the system they belong to. */
export class ConnectionRepo {
  constructor(private readonly db: Kysely<Database>) {}

  /** `settings` must hold no secrets (those live in the vault and are referenced by name). */
  async upsert(
    name: string,
    system: string,
    baseUrl: string,
    settings: Record<string, unknown>,
  ): Promise<ConnectionRow> {
    const values = { system, base_url: baseUrl, settings: JSON.stringify(settings) };
    return this.db
      .insertInto('connections')
      .values({ name, ...values })
      .onConflict((oc) => oc.column('name').doUpdateSet({ ...values, updated_at: sql`now()` }))
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  async get(name: string): Promise<ConnectionRow | undefined> {
    return this.db.selectFrom('connections').selectAll().where('name', '=', name).executeTakeFirst();
  }

  async list(): Promise<ConnectionRow[]> {
    return this.db.selectFrom('connections').selectAll().orderBy('name').execute();
  }
}

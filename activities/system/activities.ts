import { sql, type Kysely } from 'kysely';
import type { Database } from '../../lib/db/types';

export interface SystemDeps {
  db: Kysely<Database>;
}

export function createSystemActivities(deps: SystemDeps) {
  return {
    /** A round trip to the database the workers share. */
    async checkDatabase(): Promise<{ ok: boolean; version: string }> {
      const { rows } = await sql<{ version: string }>`select version() as version`.execute(deps.db);
      return { ok: true, version: rows[0]?.version.split(' on ')[0] ?? 'unknown' };
    },
  };
}

export type SystemActivities = ReturnType<typeof createSystemActivities>;

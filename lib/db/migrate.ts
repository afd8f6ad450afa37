import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { FileMigrationProvider, Migrator, type Kysely, type MigrationResultSet } from 'kysely';
import type { Logger } from 'pino';
import { logger } from '../logger';

/** Same folder whether this file runs as TypeScript through tsx or compiled under dist/. */
export const MIGRATIONS_DIR = path.join(__dirname, 'migrations');

/**
 * A migration source file: `<name>.ts` under tsx, `<name>.js` once compiled. Declarations and
 * source maps that a build may leave next to them are not migrations.
 */
export function isMigrationFile(fileName: string): boolean {
  if (fileName.startsWith('.') || fileName.endsWith('.d.ts')) return false;
  return fileName.endsWith('.ts') || fileName.endsWith('.js');
}

export function createMigrator<DB>(db: Kysely<DB>, folder = MIGRATIONS_DIR): Migrator {
  // kysely's provider imports every .js/.ts it lists; hand it a readdir that lists only ours.
  const filteredFs = {
    readdir: async (dir: string) => (await fsp.readdir(dir)).filter(isMigrationFile).sort(),
  };
  return new Migrator({
    db,
    provider: new FileMigrationProvider({ fs: filteredFs, path, migrationFolder: folder }),
  });
}

export interface MigrationStatus {
  name: string;
  executedAt: Date | null;
}

/** Applies every pending migration; returns the names applied (empty when already up to date). */
export async function migrateToLatest<DB>(db: Kysely<DB>, log?: Logger, folder?: string): Promise<string[]> {
  const result = await createMigrator(db, folder).migrateToLatest();
  return report(result, 'up', log);
}

/** Reverts the most recent migration; returns its name (empty when nothing was applied). */
export async function migrateDown<DB>(db: Kysely<DB>, log?: Logger, folder?: string): Promise<string[]> {
  const result = await createMigrator(db, folder).migrateDown();
  return report(result, 'down', log);
}

export async function migrationStatus<DB>(db: Kysely<DB>, folder?: string): Promise<MigrationStatus[]> {
  const migrations = await createMigrator(db, folder).getMigrations();
  return migrations.map((m) => ({ name: m.name, executedAt: m.executedAt ?? null }));
}

function report(result: MigrationResultSet, direction: 'up' | 'down', log = logger()): string[] {
  const done = (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
  for (const name of done) log.info({ migration: name, direction }, 'migration applied');
  if (result.error !== undefined) {
    const failed = result.results?.find((r) => r.status === 'Error')?.migrationName;
    const cause = result.error instanceof Error ? result.error.message : String(result.error);
    const what = failed
      ? `migration ${failed} failed (${direction})`
      : `migrations could not run (${direction})`;
    throw new Error(`${what}: ${cause}`, { cause: result.error });
  }
  return done;
}

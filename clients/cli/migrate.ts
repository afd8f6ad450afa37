import type { Logger } from 'pino';
import type { Config } from '../../lib/config';
import { openDatabase } from '../../lib/db';
import { migrateDown, migrateToLatest, migrationStatus } from '../../lib/db/migrate';
import { UsageError } from './args';

export async function migrateCommand(config: Config, log: Logger, args: string[]): Promise<number> {
  const action = args[0] ?? 'up';
  if (!['up', 'down', 'status'].includes(action))
    throw new UsageError(`migrate ${action}: use up, down or status`);
  const database = await openDatabase({ url: config.database.url, dataDir: config.dataDir, log });
  try {
    if (action === 'up') {
      const applied = await migrateToLatest(database.db, log);
      console.log(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
    } else if (action === 'down') {
      const reverted = await migrateDown(database.db, log);
      console.log(reverted.length ? `reverted: ${reverted.join(', ')}` : 'nothing to revert');
    } else {
      for (const m of await migrationStatus(database.db)) {
        console.log(
          `${m.executedAt ? 'applied ' : 'pending '} ${m.name}${m.executedAt ? `  ${m.executedAt.toISOString()}` : ''}`,
        );
      }
    }
    return 0;
  } finally {
    await database.close();
  }
}

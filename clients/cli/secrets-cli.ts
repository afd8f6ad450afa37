import type { Logger } from 'pino';
import type { Config } from '../../lib/config';
import { openDatabase } from '../../lib/db';
import { migrateToLatest } from '../../lib/db/migrate';
import { openVault } from '../../lib/vault';
import { secretsCommand } from './secrets';

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write('value (end with Ctrl-D): ');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** `ml-connector secrets ...` against the configured database and master key. */
export async function secretsCliCommand(config: Config, log: Logger, argv: string[]): Promise<number> {
  const database = await openDatabase({ url: config.database.url, dataDir: config.dataDir, log });
  try {
    await migrateToLatest(database.db, log);
    const vault = await openVault(database.db, config, process.env);
    return await secretsCommand(argv, { vault, out: (line) => console.log(line), readStdin });
  } finally {
    await database.close();
  }
}

// `ml-connector connections test <name>`: ask the real system whether the configured credentials
// work, and say precisely why not. Each system's own check lives in its module
// (connectors/<system>/system.ts, `test`); this file resolves the connection and prints the line.

import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { TestOutcome } from '../../connectors/kit/system';
import type { Config, ConnectionConfig } from '../../lib/config';
import { createRepos } from '../../lib/db/repos';
import type { Database } from '../../lib/db/types';
import type { Vault } from '../../lib/vault';
import { testConnectionFromConfig, UNKNOWN_CONNECTION } from '../connectors';

export { UNKNOWN_CONNECTION, type TestOutcome };

/** A check standing in for a system's own (tests plug these in). */
export type ConnectionTester = (ctx: { name: string; connection: ConnectionConfig }) => Promise<TestOutcome>;

export interface ConnectionTestDeps {
  config: Config;
  db: Kysely<Database>;
  vault: Vault;
  log: Logger;
  env?: NodeJS.ProcessEnv;
  /** System -> a check to use instead of the system's own. */
  testers?: Record<string, ConnectionTester>;
  /** Per-request timeout (default 10 s). */
  timeoutMs?: number;
  /** Where to reach a connection instead of its configuration and the vault (a simulator's URL and credentials). */
  live?: (name: string) => { baseUrl: string; credentials: Record<string, string> } | undefined;
}

/** Test one configured connection; expected failures come back as results, never as throws. */
export async function testConnection(name: string, deps: ConnectionTestDeps): Promise<TestOutcome> {
  const connection = deps.config.connections[name];
  const tester = connection && deps.testers?.[connection.system];
  if (tester) {
    try {
      return await tester({ name, connection });
    } catch (err) {
      return { ok: false, reason: 'error', message: (err as Error).message };
    }
  }
  return testConnectionFromConfig(name, { ...deps, repos: createRepos(deps.db) });
}

/** Prints one line per result; exit code 0 when the connection works, 1 otherwise. */
export async function connectionsTestCommand(
  name: string,
  deps: ConnectionTestDeps & { out: (line: string) => void },
): Promise<number> {
  const result = await testConnection(name, deps);
  const system = deps.config.connections[name]?.system;
  const label = system ? `${name} (${system})` : name;
  deps.out(
    result.ok ? `ok    ${label}: ${result.message}` : `FAIL  ${label}: ${result.reason}: ${result.message}`,
  );
  return result.ok ? 0 : 1;
}

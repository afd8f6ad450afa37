import type { Connection } from '@temporalio/client';
import type { Logger } from 'pino';
import { requiredCredentials, type Config } from '../../lib/config';
import { systemOf } from '../../connectors/registry';
import { openDatabase, type DatabaseHandle } from '../../lib/db';
import { migrationStatus } from '../../lib/db/migrate';
import { findTemporalCli } from '../../lib/temporal/cli-binary';
import { openConnection } from '../../lib/temporal/connection';
import { openVault, resolveCredential } from '../../lib/vault';
import { CUSTOM_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes';
import { testConnection } from './connections';

interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

/**
 * `doctor`: check each part the connector depends on and say plainly what is wrong. Exit code 1
 * when any check fails. Loading the configuration already happened (a bad file never gets here).
 */
export async function doctorCommand(config: Config, log: Logger): Promise<number> {
  const checks: Check[] = [
    {
      name: 'config',
      ok: true,
      detail: `${Object.keys(config.connections).length} connection(s), ${config.mappings.length} mapping(s)`,
    },
  ];
  const add = (name: string, ok: boolean, detail: string) => checks.push({ name, ok, detail });

  let database: DatabaseHandle | undefined;
  let migrated = false;
  try {
    database = await openDatabase({ url: config.database.url, dataDir: config.dataDir, log });
    const pending = (await migrationStatus(database.db)).filter((m) => !m.executedAt);
    migrated = pending.length === 0;
    add(
      'database',
      true,
      `${database.kind === 'pglite' ? 'embedded PGlite' : 'PostgreSQL'} reachable; ` +
        (pending.length
          ? `${pending.length} migration(s) pending (run: ml-connector migrate)`
          : 'schema up to date'),
    );
  } catch (err) {
    add(
      'database',
      false,
      `${(err as Error).message} (check DATABASE_URL, or unset it to use the embedded database)`,
    );
  }

  await checkTemporal(config, add);

  if (database) {
    try {
      const vault = await openVault(database.db, config, process.env);
      for (const [name, conn] of Object.entries(config.connections)) {
        const missing: string[] = [];
        for (const field of requiredCredentials(conn, systemOf(conn.system))) {
          const ref = (conn.credentials as Record<string, string | undefined>)[field];
          if (!ref) missing.push(field);
          else
            await resolveCredential(ref, { vault, env: process.env }).catch(() =>
              missing.push(`${field} (${ref})`),
            );
        }
        const simulated = conn.simulator === 'always' || (conn.simulator === 'auto' && missing.length > 0);
        if (simulated) {
          add(
            `connection ${name}`,
            true,
            `${conn.system}: runs against the simulator (missing: ${missing.join(', ') || 'none'})`,
          );
          continue;
        }
        if (missing.length) {
          add(
            `connection ${name}`,
            false,
            `${conn.system}: credentials missing: ${missing.join(', ')} (ml-connector secrets set <ref>)`,
          );
          continue;
        }
        // A connector's own test says precisely what is wrong (credentials, account, permissions);
        // systems without one get a plain reachability check.
        // The connector tests keep tokens and limits in the database: they need its tables.
        const tested = migrated
          ? await testConnection(name, { config, db: database.db, vault, log, timeoutMs: 10_000 })
          : undefined;
        if (!tested) {
          const [ok, detail] = await reachable(conn.baseUrl!);
          add(
            `connection ${name}`,
            ok,
            `${detail}; run \`ml-connector migrate\` for the full connection test`,
          );
        } else if (tested.ok || !/no connection test exists/.test(tested.message)) {
          add(
            `connection ${name}`,
            tested.ok,
            `${conn.system}: ${tested.reason}${tested.message ? ` (${tested.message})` : ''}`,
          );
        } else {
          add(`connection ${name}`, ...(await reachable(conn.baseUrl!)));
        }
      }
    } catch (err) {
      add('vault', false, (err as Error).message);
    }
    await database.close();
  }

  for (const c of checks) console.log(`${c.ok ? 'ok  ' : 'FAIL'}  ${c.name}: ${c.detail}`);
  const failed = checks.filter((c) => !c.ok).length;
  console.log(failed ? `doctor: ${failed} problem(s) found` : 'doctor: all checks passed');
  return failed ? 1 : 0;
}

async function checkTemporal(config: Config, add: (name: string, ok: boolean, detail: string) => void) {
  if (!config.temporal.address) {
    try {
      const cli = findTemporalCli();
      if (cli)
        add(
          'temporal',
          true,
          `no TEMPORAL_ADDRESS: \`start\` runs the dev server from ${cli.path} (${cli.source})`,
        );
      else
        add(
          'temporal',
          false,
          'no TEMPORAL_ADDRESS and no Temporal CLI: run `npm run setup:temporal` (needs Go) or set TEMPORAL_CLI_PATH',
        );
    } catch (err) {
      add('temporal', false, (err as Error).message);
    }
    return;
  }
  const address = config.temporal.address;
  let conn: Connection | undefined;
  try {
    conn = await openConnection({
      address,
      connectTimeout: 3000,
      tls: config.temporal.tls ? {} : undefined,
    });
    const namespace = config.temporal.namespace;
    await conn.workflowService.describeNamespace({ namespace });
    const sa = await conn.operatorService.listSearchAttributes({ namespace });
    const missing = CUSTOM_SEARCH_ATTRIBUTES.map((k) => k.name).filter(
      (n) => !(n in (sa.customAttributes ?? {})),
    );
    const tq = await conn.workflowService.describeTaskQueue({
      namespace,
      taskQueue: { name: config.temporal.taskQueue },
      taskQueueType: 1, // workflow task queue
    });
    const pollers = tq.pollers?.length ?? 0;
    add(
      'temporal',
      missing.length === 0,
      `${address} namespace ${namespace} reachable; ` +
        (missing.length
          ? `search attributes missing: ${missing.join(', ')} (temporal operator search-attribute create)`
          : 'search attributes registered') +
        `; ${pollers} worker poller(s) on task queue ${config.temporal.taskQueue}`,
    );
  } catch (err) {
    add('temporal', false, `cannot reach ${address}: ${(err as Error).message.split('\n')[0]}`);
  } finally {
    await conn?.close();
  }
}

async function reachable(baseUrl: string): Promise<[boolean, string]> {
  try {
    const res = await fetch(baseUrl, {
      method: 'GET',
      signal: AbortSignal.timeout(5000),
      redirect: 'manual',
    });
    return [true, `${baseUrl} reachable (HTTP ${res.status})`];
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
    return [false, `${baseUrl} unreachable: ${cause}`];
  }
}

import { ConfigError, loadConfig, type Config } from '../config';
import { createLogger, setLogger } from '../../lib/logger';
import { UsageError, parseArgs } from './args';
import { doctorCommand } from './doctor';
import { migrateCommand } from './migrate';
import { startCommand } from './start';
import { secretsCliCommand } from './secrets-cli';
import { connectionsCommand, ordersCommand, schedulesCommand } from './ops';
import { writeWorkflowBundle } from '../../workers/worker';

const USAGE = `ml-connector: ERP-to-shipping integration on Temporal

Usage: ml-connector <command> [--config FILE] [options]

Commands:
  start [--orders N] [--exit-when-done] [--timeout SECONDS]
                       Everything in one process: Temporal dev server (unless TEMPORAL_ADDRESS is
                       set), database, simulators for connections without credentials, worker, HTTP.
  worker               A Temporal worker only (production; scale it out).
  serve                The HTTP server only: webhooks, payload codec, /healthz, /metrics.
  migrate [up|down|status]
                       Database migrations (start, worker and serve also migrate on start).
  secrets set <ref> [--from-env VAR] | list | delete <ref> | rotate
                       Credentials in the encrypted vault. Values are read from stdin, never printed.
  doctor               Check configuration, database, Temporal and each connection, and say what is wrong.
  orders list [--status S] [--connection C] | show <order> | label <order> [--out FILE]
         | retry <order> | retry --all-failed | cancel <order> [--reason R]
                       Operate on orders (talks to the running app's HTTP API).
  schedules list | pause <id> | resume <id> | trigger <id> | backfill <id> --start ISO --end ISO
  connections test <name>
                       Authenticate, read one record, and say precisely what is wrong.
  bundle-workflows     Write the production workflow bundle to dist/workflow-bundle.js.

Configuration: --config FILE or MLC_CONFIG (YAML or JSON); every key can be overridden with
MLC_<PATH> environment variables (see docs/configuration.md).`;

const VALUED = [
  'config',
  'orders',
  'timeout',
  'from-env',
  'status',
  'connection',
  'reason',
  'start',
  'end',
  'out',
] as const;

export async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv, VALUED);
  const [command, ...rest] = args.positional;
  if (!command || args.flags.help || command === 'help') {
    console.log(USAGE);
    return command || args.flags.help ? 0 : 2;
  }
  if (command === 'bundle-workflows') {
    console.log(`workflow bundle written to ${await writeWorkflowBundle()}`);
    return 0;
  }
  const configFile = typeof args.flags.config === 'string' ? args.flags.config : undefined;
  const config: Config = loadConfig({ file: configFile });
  const log = createLogger({ level: process.env.LOG_LEVEL ?? config.log.level });
  setLogger(log);

  switch (command) {
    case 'start':
      return await startCommand(config, log, 'all', args.flags);
    case 'worker':
      return await startCommand(config, log, 'worker', args.flags);
    case 'serve':
      return await startCommand(config, log, 'http', args.flags);
    case 'migrate':
      return await migrateCommand(config, log, rest);
    case 'secrets':
      return await secretsCliCommand(config, log, withoutConfigFlag(argv.slice(argv.indexOf('secrets') + 1)));
    case 'doctor':
      return await doctorCommand(config, log);
    case 'orders':
      return await ordersCommand(args, { config });
    case 'schedules':
      return await schedulesCommand(args, { config });
    case 'connections':
      return await connectionsCommand(args, { config });
    default:
      throw new UsageError(`unknown command "${command}" (run ml-connector --help)`);
  }
}

/** `secrets` parses its own flags (--from-env, --stdin); only --config belongs to the main CLI. */
function withoutConfigFlag(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--config') i++;
    else if (!argv[i]!.startsWith('--config=')) out.push(argv[i]!);
  }
  return out;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    // Expected problems get one line and no stack trace.
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exitCode = 2;
    } else if (err instanceof UsageError) {
      console.error(`usage error: ${err.message}`);
      process.exitCode = 2;
    } else {
      console.error(`ml-connector: ${(err as Error).message ?? String(err)}`);
      if (process.env.MLC_DEBUG) console.error(err);
      process.exitCode = 1;
    }
  },
);

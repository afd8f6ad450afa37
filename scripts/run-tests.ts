// `npm test`: one Temporal dev server (the real binary, in memory) and one workflow bundle for the
// whole run, then node's test runner over test/**/*.test.ts. Ends with node's own pass/fail counts
// and a plain `N passed, N failed` line.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { requireTemporalCli, PROJECT_ROOT } from '../lib/temporal/cli-binary';
import { startDevServer } from '../lib/temporal/dev-server';
import { writeWorkflowBundle } from '../workers/worker';
import { parseDatabaseKinds } from '../test/helpers/db';

function findTests(target: string): string[] {
  const stat = fs.statSync(target);
  if (stat.isFile()) return [target];
  return fs
    .readdirSync(target, { withFileTypes: true })
    .flatMap((e) =>
      e.isDirectory()
        ? findTests(path.join(target, e.name))
        : e.name.endsWith('.test.ts')
          ? [path.join(target, e.name)]
          : [],
    )
    .sort();
}

/**
 * A test with no timeout of its own fails after this long (node's default is never), so a hang
 * names the test that hung. The chaos tests set longer ones.
 */
const TEST_TIMEOUT_MS = 10 * 60_000;

/**
 * The whole run is stopped after this long, with a line that says so: a hang outside any test (a
 * hook, or a file that never exits) otherwise holds the run until CI's own limit of 90 minutes.
 * MLC_TEST_RUN_LIMIT_MIN overrides it.
 */
function runLimitMinutes(raw: string | undefined): number {
  if (raw === undefined || raw === '') return 70;
  const value = Number(raw);
  // A typo must not stop the run at once (setTimeout takes NaN as 0) nor lift the limit unseen.
  if (!Number.isFinite(value) || value <= 0) {
    throw new Error(`MLC_TEST_RUN_LIMIT_MIN must be a positive number of minutes, got "${raw}"`);
  }
  return value;
}

async function main(): Promise<number> {
  let runLimitMin: number;
  try {
    runLimitMin = runLimitMinutes(process.env.MLC_TEST_RUN_LIMIT_MIN);
    // Each database test file would fail on its own; say it once, before anything starts.
    parseDatabaseKinds(process.env.TEST_DB_KINDS);
  } catch (err) {
    console.error((err as Error).message);
    return 1;
  }
  const targets = process.argv.slice(2);
  const files = (targets.length ? targets : ['test']).flatMap((t) =>
    findTests(path.resolve(PROJECT_ROOT, t)),
  );
  if (files.length === 0) {
    console.error('no test files found');
    return 1;
  }

  let cli;
  try {
    cli = requireTemporalCli();
  } catch (err) {
    console.error((err as Error).message);
    return 1;
  }
  const started = Date.now();
  const server = await startDevServer({ cliPath: cli.path, ui: false });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlc-test-'));
  try {
    const bundle = await writeWorkflowBundle(path.join(tmp, 'workflow-bundle.js'));
    console.log(
      `test harness: Temporal dev server ${server.address} (${cli.source}: ${cli.path}), workflow bundle ready in ${Date.now() - started} ms`,
    );
    const args = [
      '--import',
      'tsx',
      '--test',
      '--test-concurrency=2',
      `--test-timeout=${TEST_TIMEOUT_MS}`,
      '--test-reporter=spec',
      '--test-reporter-destination=stdout',
      `--test-reporter=${path.join(__dirname, 'summary-reporter.mjs')}`,
      '--test-reporter-destination=stdout',
      ...files.map((f) => path.relative(PROJECT_ROOT, f)),
    ];
    const child = spawn(process.execPath, args, {
      cwd: PROJECT_ROOT,
      stdio: 'inherit',
      env: {
        ...process.env,
        TEMPORAL_TEST_ADDRESS: server.address,
        TEMPORAL_TEST_NAMESPACE: server.namespace,
        MLC_TEST_WORKFLOW_BUNDLE: bundle,
        LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
      },
    });
    const forward = (sig: NodeJS.Signals) => child.kill(sig);
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    let overran = false;
    const watchdog = setTimeout(() => {
      overran = true;
      console.error(
        `test harness: the run passed its limit of ${runLimitMin} min and was stopped; files are ` +
          'reported in order, so the first one cut short or missing above is the one that did not end',
      );
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
    }, runLimitMin * 60_000);
    watchdog.unref();
    const code = await new Promise<number>((resolve) => child.on('exit', (c) => resolve(c ?? 1)));
    clearTimeout(watchdog);
    return overran ? 1 : code;
  } finally {
    await server.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);

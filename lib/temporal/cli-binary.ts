import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../paths';

/**
 * Finds the Temporal CLI (`temporal`, which embeds the dev server and Web UI) in the order DESIGN.md
 * gives: TEMPORAL_CLI_PATH, `temporal` on PATH, a cached build under .tools/, a build with Go.
 * Only `setupTemporalCli` may build; everything else only looks, so tests never download or build.
 */

/** The newest CLI whose go.mod allows `go install` (later ones carry a replace directive). */
export const TEMPORAL_CLI_VERSION = 'v1.5.1';
export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal';

export { PROJECT_ROOT };
export const TOOLS_DIR = path.join(PROJECT_ROOT, '.tools');
const CACHED_BIN = path.join(TOOLS_DIR, 'bin', 'temporal');
const CACHED_STAMP = path.join(TOOLS_DIR, 'temporal.version');

export type CliSource = 'TEMPORAL_CLI_PATH' | 'PATH' | 'cache' | 'go-build';
export interface ResolvedCli {
  path: string;
  source: CliSource;
}

export class TemporalCliMissingError extends Error {
  constructor(detail?: string) {
    super(
      'Temporal CLI not found' +
        (detail ? ` (${detail})` : '') +
        '. Install Go >= 1.21 and run `npm run setup:temporal` (it builds ' +
        `${TEMPORAL_CLI_MODULE}@${TEMPORAL_CLI_VERSION} into .tools/), or put the \`temporal\` binary on PATH ` +
        '(https://docs.temporal.io/cli), or set TEMPORAL_CLI_PATH to it.',
    );
    this.name = 'TemporalCliMissingError';
  }
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function onPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/** The cached build counts only when it was built for the pinned version. */
function cachedBuild(): string | undefined {
  if (!isExecutable(CACHED_BIN)) return undefined;
  try {
    return fs.readFileSync(CACHED_STAMP, 'utf8').trim() === TEMPORAL_CLI_VERSION ? CACHED_BIN : undefined;
  } catch {
    return undefined;
  }
}

/** Look for an existing binary; never builds or downloads. */
export function findTemporalCli(env: NodeJS.ProcessEnv = process.env): ResolvedCli | undefined {
  const explicit = env.TEMPORAL_CLI_PATH;
  if (explicit) {
    if (!isExecutable(explicit)) {
      throw new TemporalCliMissingError(`TEMPORAL_CLI_PATH=${explicit} is not an executable file`);
    }
    return { path: explicit, source: 'TEMPORAL_CLI_PATH' };
  }
  const fromPath = onPath('temporal', env);
  if (fromPath) return { path: fromPath, source: 'PATH' };
  const cached = cachedBuild();
  if (cached) return { path: cached, source: 'cache' };
  return undefined;
}

/** Like findTemporalCli, but a missing binary is an error that says what to install. */
export function requireTemporalCli(env: NodeJS.ProcessEnv = process.env): ResolvedCli {
  const found = findTemporalCli(env);
  if (!found) throw new TemporalCliMissingError();
  return found;
}

export function findGo(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return onPath('go', env) ?? (isExecutable('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : undefined);
}

/**
 * Resolve the CLI, building it with Go into .tools/ when nothing else is there. Returns undefined
 * when there is neither a binary nor Go: the caller may then fall back to the SDK's download
 * (which needs internet access).
 */
export function setupTemporalCli(
  log: (line: string) => void,
  env: NodeJS.ProcessEnv = process.env,
): ResolvedCli | undefined {
  const found = findTemporalCli(env);
  if (found) {
    log(`temporal CLI: using ${found.path} (${found.source})`);
    return found;
  }
  const go = findGo(env);
  if (!go) return undefined;

  log(
    `temporal CLI: building ${TEMPORAL_CLI_MODULE}@${TEMPORAL_CLI_VERSION} with ${go} (first time only; several minutes)`,
  );
  fs.mkdirSync(path.dirname(CACHED_BIN), { recursive: true });
  const started = Date.now();
  const result = spawnSync(
    go,
    [
      'install',
      '-trimpath',
      '-ldflags',
      `-s -w -X github.com/temporalio/cli/temporalcli.Version=${TEMPORAL_CLI_VERSION.slice(1)}`,
      `${TEMPORAL_CLI_MODULE}@${TEMPORAL_CLI_VERSION}`,
    ],
    {
      stdio: ['ignore', 'inherit', 'inherit'],
      // CGO off as in upstream release builds; the dev server's SQLite is pure Go.
      env: {
        ...env,
        GOBIN: path.dirname(CACHED_BIN),
        CGO_ENABLED: '0',
        GOFLAGS: env.GOFLAGS ?? '-buildvcs=false',
      },
    },
  );
  if (result.status !== 0 || !isExecutable(CACHED_BIN)) {
    throw new TemporalCliMissingError(`go install failed with exit code ${result.status ?? result.signal}`);
  }
  fs.writeFileSync(CACHED_STAMP, `${TEMPORAL_CLI_VERSION}\n`);
  const version = execFileSync(CACHED_BIN, ['--version'], { encoding: 'utf8' }).trim();
  log(`temporal CLI: built ${version} in ${Math.round((Date.now() - started) / 1000)} s -> ${CACHED_BIN}`);
  return { path: CACHED_BIN, source: 'go-build' };
}

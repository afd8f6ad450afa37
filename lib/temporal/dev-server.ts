import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { CUSTOM_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes';
import { freePort, spawnTied, stopProcess } from '../process';
import { openConnection } from './connection';

/** Maps the SDK's search attribute kinds to the CLI's `--search-attribute name=Type` spelling. */
const CLI_SA_TYPES: Record<string, string> = {
  KEYWORD: 'Keyword',
  TEXT: 'Text',
  INT: 'Int',
  DOUBLE: 'Double',
  BOOL: 'Bool',
  DATETIME: 'Datetime',
  KEYWORD_LIST: 'KeywordList',
};

export interface DevServerOptions {
  cliPath: string;
  /** gRPC port; a free one when omitted. */
  port?: number;
  /** Web UI port; omit with `ui: false` for a headless server (tests). */
  uiPort?: number;
  ui?: boolean;
  namespace?: string;
  /** The app's remote codec endpoint, so the Web UI can show encrypted payloads. */
  codecEndpoint?: string;
  /** SQLite file that keeps history across restarts; in memory when omitted. */
  dbFile?: string;
  log?: Logger;
  startTimeoutMs?: number;
}

export interface DevServer {
  address: string;
  namespace: string;
  uiUrl?: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Start attempts when a port was taken between choosing it and the server binding it. */
const START_ATTEMPTS = 3;

/**
 * `temporal server start-dev` on 127.0.0.1 with the project's search attributes registered.
 * Ports are found free and then released before the server binds them, and the CLI picks its own
 * HTTP API port the same way, so another process (or the server's own choice for one port colliding
 * with ours for another) can take one in between: a start that fails with "address already in use"
 * is tried again with fresh ports.
 */
export async function startDevServer(opts: DevServerOptions): Promise<DevServer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(opts);
    } catch (err) {
      if (attempt >= START_ATTEMPTS || !/address already in use/.test((err as Error).message)) throw err;
      opts.log?.warn({ attempt }, 'Temporal dev server port was taken; starting again on fresh ports');
    }
  }
}

async function startOnce(opts: DevServerOptions): Promise<DevServer> {
  const namespace = opts.namespace ?? 'default';
  const port = opts.port ?? (await freePort());
  const ui = opts.ui ?? true;
  const uiPort = ui ? (opts.uiPort ?? (await freePort())) : undefined;
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    '--namespace',
    namespace,
    '--log-format',
    'json',
    '--log-level',
    'warn',
    // Metrics on a free port rather than the CLI's fixed default, so two servers never collide.
    '--metrics-port',
    String(await freePort()),
  ];
  if (uiPort) args.push('--ui-port', String(uiPort), '--ui-ip', '127.0.0.1');
  if (uiPort && opts.codecEndpoint) args.push('--ui-codec-endpoint', opts.codecEndpoint);
  else args.push('--headless');
  if (opts.dbFile) {
    fs.mkdirSync(path.dirname(opts.dbFile), { recursive: true });
    args.push('--db-filename', opts.dbFile);
  }
  for (const sa of CUSTOM_SEARCH_ATTRIBUTES)
    args.push('--search-attribute', `${sa.name}=${CLI_SA_TYPES[sa.type]}`);

  const child = spawnTied(opts.cliPath, args);
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', (chunk: Buffer) => {
    keep(chunk);
    opts.log?.debug({ component: 'temporal-dev-server' }, chunk.toString().trim());
  });

  const address = `127.0.0.1:${port}`;
  try {
    await waitUntilServing(address, namespace, child, opts.startTimeoutMs ?? 60_000);
  } catch (err) {
    await stopProcess(child, 2000);
    throw new Error(`Temporal dev server did not start: ${(err as Error).message}\n${output.trim()}`, {
      cause: err,
    });
  }
  return {
    address,
    namespace,
    uiUrl: uiPort ? `http://127.0.0.1:${uiPort}` : undefined,
    process: child,
    stop: () => stopProcess(child),
  };
}

async function waitUntilServing(address: string, namespace: string, child: ChildProcess, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`exited with code ${child.exitCode}`);
    try {
      const conn = await openConnection({ address, connectTimeout: 1000 });
      try {
        await conn.workflowService.describeNamespace({ namespace });
        return;
      } finally {
        await conn.close();
      }
    } catch (err) {
      lastError = err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  throw new Error(`not serving on ${address} after ${timeoutMs} ms: ${(lastError as Error)?.message ?? ''}`);
}

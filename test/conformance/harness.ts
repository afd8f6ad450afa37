// Runs one system of the registry the way the app does, against its own simulator over HTTP: the
// simulator from the module's `simulator()`, a fault proxy in front of it, a live connection whose
// base URL is the proxy, and the runtime from the module's `open()` on a real PostgreSQL database.
// Nothing here names a system: every system in connectors/registry.ts with a simulator and a
// runtime gets the same harness, and so the whole conformance suite, by its one line there.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { CONFIG_SYSTEMS, SYSTEMS } from '../../connectors/registry';
import type {
  LiveConnection,
  RunningSimulator,
  SystemModule,
  SystemRuntime,
} from '../../connectors/kit/system';
import type { CarrierPort, ErpPort, FulfilmentPort } from '../../connectors/ports';
import { loadConfigWith, type Config, type ConnectionConfig } from '../../lib/config';
import { createRepos, type Repos } from '../../lib/db/repos';
import { createLogger } from '../../lib/logger';
import { generateMasterKey, Vault } from '../../lib/vault';
import { createTestDatabase, type TestDatabase } from '../helpers/db';
import { startFaultProxy, type FaultProxy, type ProxiedRequest } from './fault-proxy';
import { FIXTURE_SKUS } from './fixtures';

/** The simulators' seed: the same orders and numbers every run (failure messages print it). */
export const SEED = 17;

/**
 * Per-request timeout the runtimes get (SystemDeps.callTimeoutMs) unless a test file sets its own:
 * shorter than the connectors' defaults, long enough for a label on a busy machine.
 */
export const DEFAULT_CALL_TIMEOUT_MS = 10_000;

/** The start-to-close timeout the order workflow gives its activities. */
export const ACTIVITY_TIMEOUT_MS = 60_000;

/** Which port of a system the contract tests. */
export type PortKind = 'erp' | 'carrier' | 'fulfilment';

/** The port a module's runtime offers, by its role and mode. */
export function portKindOf(system: SystemModule): PortKind {
  if (system.role === 'erp') return 'erp';
  return (system.mode ?? 'label') === 'warehouse' ? 'fulfilment' : 'carrier';
}

/** The systems of the registry that can run the suite (a simulator and a runtime), of one port kind. */
export function systemsWith(kind: PortKind): SystemModule[] {
  return SYSTEMS.filter((s) => s.simulator && s.open && portKindOf(s) === kind);
}

export interface Harness {
  system: SystemModule;
  /** The connection's name in the runtime ("conformance-<system id>"). */
  connection: string;
  proxy: FaultProxy;
  simulator: RunningSimulator;
  runtime: SystemRuntime;
  repos: Repos;
  erp(): ErpPort;
  carrier(): CarrierPort;
  fulfilment(): FulfilmentPort;
  /** Values that must never appear in an error: the credentials and what authenticated the requests. */
  secrets(): string[];
  /**
   * How the system's requests authenticate, read from the last answered request that carried
   * credentials: `static` when a credential itself travels in a header (an API key, Basic auth),
   * `token` when the connector sends something it obtained (an OAuth access token) and can renew.
   */
  credentialStyle(): 'static' | 'token';
  /** Runs `fn` as the body of an activity attempt (the real activity context, not a mock of the port). */
  inActivity<T>(
    fn: () => Promise<T>,
    opts?: { startToCloseTimeoutMs?: number; attempt?: number },
  ): Promise<T>;
  stop(): Promise<void>;
}

/** A server that accepts whatever a simulator pushes (webhooks) and answers 200; the suite ignores it. */
async function startWebhookSink(): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/**
 * The configuration the app would run with: the embedded demo's (defaults for every limit), with the
 * connection under test as its only connection and no mappings.
 */
function configFor(name: string, connection: ConnectionConfig): Config {
  const base = loadConfigWith(CONFIG_SYSTEMS, { env: {}, cwd: os.tmpdir() });
  return { ...base, connections: { [name]: connection }, mappings: [] } as Config;
}

/** Configurations a system's required settings can be taken from: the embedded demo and examples/. */
function sampleConfigs(): Array<Record<string, unknown>> {
  const configs: Array<Record<string, unknown>> = [CONFIG_SYSTEMS.demo];
  const examples = path.join(__dirname, '..', '..', 'examples');
  for (const file of fs.existsSync(examples) ? fs.readdirSync(examples).sort() : []) {
    if (!/\.(ya?ml|json)$/.test(file)) continue;
    try {
      configs.push(loadConfigWith(CONFIG_SYSTEMS, { file: path.join(examples, file), env: {} }));
    } catch {
      // An example the loader refuses has its own test; it is no source of settings here.
    }
  }
  return configs;
}

/**
 * The connection's settings: the schema's defaults when it needs nothing, else the settings of the
 * first connection of the system in the demo or an example configuration (a FedEx account number,
 * say), validated by the system's schema as the configuration loader does.
 */
function settingsFor(system: SystemModule): Record<string, unknown> {
  const bare = system.settings.safeParse({});
  if (bare.success) return bare.data as Record<string, unknown>;
  for (const config of sampleConfigs()) {
    const connections = (config.connections ?? {}) as Record<string, { system?: string; settings?: unknown }>;
    const found = Object.values(connections).find((c) => c.system === system.id);
    if (found) return system.settings.parse(found.settings ?? {}) as Record<string, unknown>;
  }
  throw new Error(
    `${system.title}: its settings need values and no demo or example configuration has a ${system.id} ` +
      'connection to take them from (add one to examples/)',
  );
}

/** Every header value the request carried, with Basic credentials decoded. */
function headerValues(req: ProxiedRequest): string[] {
  const out: string[] = [];
  for (const v of Object.values(req.headers)) {
    for (const value of Array.isArray(v) ? v : v === undefined ? [] : [v]) {
      out.push(value);
      const basic = /^Basic\s+(.+)$/i.exec(value);
      if (basic) out.push(Buffer.from(basic[1]!, 'base64').toString('utf8'));
    }
  }
  return out;
}

export interface HarnessOptions {
  /** Per-request timeout of the runtime's calls (default DEFAULT_CALL_TIMEOUT_MS). */
  callTimeoutMs?: number;
}

/** Starts the simulator, the proxy and the runtime of one system, on a fresh migrated database. */
export async function startHarness(system: SystemModule, opts: HarnessOptions = {}): Promise<Harness> {
  if (!system.simulator || !system.open) throw new Error(`${system.title} has no simulator or no runtime`);
  const connection = `conformance-${system.id}`;
  const settings = settingsFor(system);
  const stops: Array<() => Promise<void> | void> = [];
  const stopAll = async () => {
    for (const stop of stops.splice(0).reverse()) await stop();
  };

  try {
    const db: TestDatabase = await createTestDatabase('postgres');
    stops.push(() => db.dispose());
    const sink = await startWebhookSink();
    stops.push(
      () =>
        new Promise<void>((resolve) => {
          sink.server.close(() => resolve());
          sink.server.closeAllConnections();
        }),
    );
    const simulator = await system.simulator({
      connection,
      settings,
      seed: SEED,
      webhookUrl: `${sink.url}/webhooks/${system.id}/${connection}`,
      demoSkus: FIXTURE_SKUS,
    });
    stops.push(() => simulator.stop());
    const proxy = await startFaultProxy(simulator.baseUrl);
    stops.push(() => proxy.stop());

    const connectionConfig: ConnectionConfig = {
      system: system.id,
      simulator: 'always',
      credentials: {},
      settings,
    };
    const live: LiveConnection = {
      name: connection,
      config: connectionConfig,
      baseUrl: proxy.url,
      credentials: simulator.credentials,
      settings,
      simulated: true,
      simulator,
    };
    const repos = createRepos(db.db);
    const log = createLogger({ level: 'silent' });
    const runtime = system.open({
      config: configFor(connection, connectionConfig),
      db: db.db,
      repos,
      vault: new Vault({ db: db.db, keys: { current: generateMasterKey(), previous: [] } }),
      log,
      env: {},
      connections: new Map([[connection, live]]),
      actor: 'test:conformance',
      callTimeoutMs: opts.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS,
    });
    stops.push(async () => {
      await runtime.stop?.();
    });

    const port = <T>(get: ((name: string) => T) | undefined, what: string): T => {
      if (!get) throw new Error(`${system.title}'s runtime offers no ${what} port`);
      return get(connection);
    };
    const credentialValues = () => Object.values(simulator.credentials).filter((v) => v.length >= 6);

    return {
      system,
      connection,
      proxy,
      simulator,
      runtime,
      repos,
      erp: () => port(runtime.erp, 'ERP'),
      carrier: () => port(runtime.carrier, 'carrier'),
      fulfilment: () => port(runtime.fulfilment, 'warehouse'),
      secrets() {
        const seen = new Set(credentialValues());
        for (const req of proxy.requests) {
          const auth = req.headers.authorization;
          const token = typeof auth === 'string' ? auth.replace(/^\S+\s+/, '') : '';
          if (token.length >= 6) seen.add(token);
        }
        return [...seen];
      },
      credentialStyle() {
        const credentials = credentialValues();
        const answered = proxy.requests.filter((r) => !r.fault && r.status !== undefined && r.status < 300);
        if (answered.length === 0) {
          throw new Error(`${system.title}: no request was answered yet; make a call first`);
        }
        const carriesKey = (r: ProxiedRequest) =>
          headerValues(r).some((v) => credentials.some((c) => v.includes(c)));
        return answered.some(carriesKey) ? 'static' : 'token';
      },
      inActivity(fn, o = {}) {
        return new MockActivityEnvironment(
          { attempt: o.attempt ?? 1, startToCloseTimeoutMs: o.startToCloseTimeoutMs ?? ACTIVITY_TIMEOUT_MS },
          { logger: new DefaultLogger('ERROR') },
        ).run(fn);
      },
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

// What one system (an ERP or a carrier) is to the app: the module its folder exports as `system`
// (connectors/<system>/system.ts) and connectors/registry.ts lists. The app builds everything it
// needs for a connection from it: the configuration schema, the credentials it asks for, the
// simulator that stands in without credentials, the ports the order lifecycle calls, the
// connection test and the webhook receivers. Nothing outside the connector folders names a system.

import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { z } from 'zod';
import type { TrackingUpdate } from '../../domain/model';
import type { Config, ConnectionConfig, SystemConfigSpec } from '../../lib/config';
import type { Repos } from '../../lib/db/repos';
import type { Database } from '../../lib/db/types';
import type { Handler } from '../../lib/http-routes';
import type { Vault } from '../../lib/vault';
import type { ShipmentIntake } from '../../activities/orders/fulfilment';
import type { CarrierPort, ErpPort, FulfilmentPort } from '../ports';

/** A connection as the running app sees it: where to reach it and with which credentials. */
export interface LiveConnection {
  name: string;
  config: ConnectionConfig;
  baseUrl: string;
  /** Resolved credential values by field name. Never logged. */
  credentials: Record<string, string>;
  /**
   * The settings in use: the config's, with what an environment override replaced (the demo's
   * carrier sandbox account, say).
   */
  settings: Record<string, unknown>;
  simulated: boolean;
  /** The simulator standing in for the system, when `simulated`. */
  simulator?: RunningSimulator;
}

/** The outcome of `connections test`; `reason` is the system's own word for what is wrong. */
export interface TestOutcome {
  ok: boolean;
  reason: string;
  message: string;
}

/** An order a simulated ERP was seeded with for the demo (`invalid` names the data problem). */
export interface DemoOrder {
  orderKey: string;
  orderNumber: string;
  invalid?: string;
}

/** A simulator started for one connection (only `start` runs them). */
export interface RunningSimulator {
  baseUrl: string;
  /** The credentials the simulator accepts, in the connection's credential fields. */
  credentials: Record<string, string>;
  /** The simulator itself, for tests and the demo (its type is the system's own). */
  handle: unknown;
  /** Limits to use instead of the configured ones: the demo's simulators run faster than the real APIs. */
  limits?: Record<string, unknown>;
  /** ERP simulators: seed orders ready to ship. */
  seedDemoOrders?(count: number, run: { seed: number; firstOrderNumber: number }): DemoOrder[];
  /** ERP simulators: the part numbers the demo's orders use (a warehouse simulator stocks them). */
  demoSkus?: readonly string[];
  stop(): Promise<void>;
}

export interface SimulatorOptions {
  connection: string;
  settings: Record<string, unknown>;
  /** The demo run's seed: each run's orders and tracking numbers are new to the database. */
  seed: number;
  /** Where this connection's webhook receivers are (`<app URL>/webhooks/<system>/<connection>`). */
  webhookUrl: string;
  /** Part numbers the demo's ERP simulators use. */
  demoSkus: readonly string[];
}

/** What a system's runtime may use: the app's stores and its view of the system's connections. */
export interface SystemDeps {
  config: Config;
  db: Kysely<Database>;
  repos: Repos;
  vault: Vault;
  log: Logger;
  env: NodeJS.ProcessEnv;
  /** This system's active connections, by name. */
  connections: ReadonlyMap<string, LiveConnection>;
  /** Who the audit entries of calls outside an order name ("cli:connections-test"). */
  actor?: string;
  /** Per-request timeout of connection tests (the CLI's --timeout). */
  testTimeoutMs?: number;
  /**
   * Per-request timeout of the ports' calls, reads and writes alike, instead of each connector's
   * own defaults (tens of seconds). The conformance suite sets it so that an answer that never
   * comes ends in seconds.
   */
  callTimeoutMs?: number;
}

/** What webhook receivers hand their news to. */
export interface WebhookHooks {
  /** A tracking update for one of our shipments: to its order workflow. */
  onTracking(shipment: { id: string; workflowId: string }, update: TrackingUpdate): Promise<void>;
  /** Warehouse systems: where their shipments and cancellations go (a Temporal client). */
  intake?: ShipmentIntake;
}

/** One system's part of the running app, built once per process for all its connections. */
export interface SystemRuntime {
  erp?(connection: string): ErpPort;
  carrier?(connection: string): CarrierPort;
  fulfilment?(connection: string): FulfilmentPort;
  /** Ask the real system (or its simulator) whether the connection works; never throws for an expected failure. */
  test(connection: string): Promise<TestOutcome>;
  /** Webhook receivers, keyed "METHOD /webhooks/<system>/<connection>[...]". */
  webhookRoutes?(connection: string, hooks: WebhookHooks): Record<string, Handler>;
  /** Once the app's HTTP server listens: a simulator's webhook subscriptions, say. */
  afterListen?(connection: string, appUrl: string): Promise<void>;
  /** Ends what the runtime started (webhook drainers); simulators are stopped by the app. */
  stop?(): Promise<void>;
}

/** The environment's say over a connection (the demo pointed at a carrier's sandbox). */
export interface EnvironmentOverride {
  baseUrl: string;
  credentials: Record<string, string>;
  settings?: Record<string, unknown>;
}

/** A system: what the configuration needs to know, and how to run its connections. */
export interface SystemModule extends SystemConfigSpec {
  /** The `reason` a connection test gives when a credential is missing (default bad_credentials). */
  missingCredentialReason?: string;
  /** Builds the runtime; absent while only the configuration of the system exists. */
  open?(deps: SystemDeps): SystemRuntime;
  /** Starts a simulator for one connection; absent when the system has none yet. */
  simulator?(opts: SimulatorOptions): Promise<RunningSimulator>;
  /** A connection taken from environment variables instead of the configuration. */
  fromEnvironment?(env: NodeJS.ProcessEnv): EnvironmentOverride | undefined;
}

/** Reads a parsed connection's settings with the type its schema gives (they were validated by it). */
export function readSettings<S extends z.ZodType>(_schema: S) {
  return (c: { settings: Record<string, unknown> }): z.output<S> => c.settings as z.output<S>;
}

/** Reads a system's `limits.<id>` with the type its schema gives (validated by it when the configuration loaded). */
export function readLimits<L extends z.ZodType>(id: string, _schema: L) {
  return (config: Pick<Config, 'limits'>): z.output<L> => (config.limits[id] ?? {}) as z.output<L>;
}

import fs from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import { NativeConnection } from '@temporalio/worker';
import type { Logger } from 'pino';
import { PROJECT_ROOT, requireTemporalCli } from './cli-binary';
import { openConnection } from './connection';
import { startDevServer, type DevServer } from './dev-server';
import { freePort } from '../process';
import path from 'node:path';
import net from 'node:net';

export interface TemporalTls {
  serverName?: string;
  caFile?: string;
  certFile?: string;
  keyFile?: string;
}

export interface TemporalSettings {
  /** host:port of an existing server or Temporal Cloud; when absent the dev server is started. */
  address?: string;
  namespace: string;
  taskQueue: string;
  tls?: TemporalTls;
  /** Already resolved from its credential reference (Temporal Cloud API key). */
  apiKey?: string;
  devServer: { port?: number; uiPort?: number; dbFile?: string };
  /** Where the app serves /codec (so the dev server's Web UI can decode payloads). */
  codecEndpoint?: string;
}

export interface TemporalHandle {
  address: string;
  namespace: string;
  taskQueue: string;
  uiUrl?: string;
  client: Client;
  connection: Connection;
  nativeConnection: NativeConnection;
  devServer?: DevServer;
  close(): Promise<void>;
}

function tlsConfig(tls: TemporalTls | undefined, apiKey: string | undefined) {
  if (!tls) return apiKey ? true : undefined; // Temporal Cloud with an API key needs TLS on.
  const read = (f?: string) => (f ? fs.readFileSync(f) : undefined);
  const cert = read(tls.certFile);
  const key = read(tls.keyFile);
  return {
    serverNameOverride: tls.serverName,
    serverRootCACertificate: read(tls.caFile),
    ...(cert && key ? { clientCertPair: { crt: cert, key } } : {}),
  };
}

async function portIsFree(port: number): Promise<boolean> {
  return await new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** The configured port if given; else the conventional one when free; else any free port. */
async function choosePort(configured: number | undefined, conventional: number): Promise<number> {
  if (configured) return configured;
  return (await portIsFree(conventional)) ? conventional : await freePort();
}

/**
 * Connect to the configured Temporal server, or start the dev server (persistent SQLite file under
 * .data/, Web UI) when no address is configured.
 */
export async function connectTemporal(
  settings: TemporalSettings,
  log: Logger,
  payloadCodec?: PayloadCodec,
): Promise<TemporalHandle> {
  let devServer: DevServer | undefined;
  let address = settings.address;
  if (!address) {
    const cli = requireTemporalCli();
    const port = await choosePort(settings.devServer.port, 7233);
    const uiPort = await choosePort(settings.devServer.uiPort, port === 7233 ? 8233 : port + 1000);
    const dbFile = path.resolve(PROJECT_ROOT, settings.devServer.dbFile ?? '.data/temporal.db');
    log.info({ cli: cli.path, port, uiPort, dbFile }, 'starting Temporal dev server');
    devServer = await startDevServer({
      cliPath: cli.path,
      port,
      uiPort,
      dbFile,
      namespace: settings.namespace,
      codecEndpoint: settings.codecEndpoint,
      log,
    });
    address = devServer.address;
  }
  const tls = tlsConfig(settings.tls, settings.apiKey);
  let connection: Connection | undefined;
  try {
    connection = await openConnection({ address, tls, apiKey: settings.apiKey });
    const nativeConnection = await NativeConnection.connect({ address, tls, apiKey: settings.apiKey });
    const opened = connection;
    const client = new Client({
      connection: opened,
      namespace: settings.namespace,
      ...(payloadCodec ? { dataConverter: { payloadCodecs: [payloadCodec] } } : {}),
    });
    return {
      address,
      namespace: settings.namespace,
      taskQueue: settings.taskQueue,
      uiUrl: devServer?.uiUrl,
      client,
      connection: opened,
      nativeConnection,
      devServer,
      async close() {
        await nativeConnection.close();
        await opened.close();
        await devServer?.stop();
      },
    };
  } catch (err) {
    await connection?.close().catch(() => undefined);
    await devServer?.stop();
    throw new Error(`cannot connect to Temporal at ${address}: ${(err as Error).message}`, { cause: err });
  }
}

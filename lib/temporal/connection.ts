import { Connection, type ConnectionOptions } from '@temporalio/client';

/**
 * `Connection.connect`, but a failed connect closes what it opened. The SDK's own `connect` keeps
 * the gRPC channel it made when `ensureConnected` throws; against a port where something accepts
 * TCP but does not speak gRPC, that channel's socket stays open and keeps the process alive.
 */
export async function openConnection(options: ConnectionOptions): Promise<Connection> {
  const conn = Connection.lazy(options);
  try {
    await conn.ensureConnected();
    return conn;
  } catch (err) {
    await conn.close().catch(() => undefined);
    throw err;
  }
}

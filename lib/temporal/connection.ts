import { Connection, type ConnectionOptions } from '@temporalio/client';

/**
 * `Connection.connect`, but a failed connect closes what it opened: the SDK's own `connect` leaves
 * the gRPC channel it made open when `ensureConnected` throws, so each failed try (the dev server's
 * start-up probe makes many) would leave one behind. Closing does not cut a TCP connection still
 * in its HTTP/2 handshake: against a port where something accepts TCP but never speaks gRPC, that
 * socket stays until the other side drops it.
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

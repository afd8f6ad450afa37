// lib/temporal/dev-server.ts against the real CLI: a start whose port is taken is tried again on
// fresh ports, a few times, and then fails saying why (the port in use), with no server left over.

import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { requireTemporalCli } from '../../lib/temporal/cli-binary';
import { startDevServer } from '../../lib/temporal/dev-server';
import { createLogger } from '../../lib/logger';

describe('Temporal dev server start-up: ports taken in between', () => {
  let holder: Server;
  let taken: number;

  before(async () => {
    // Connections are dropped as they come: the start-up probe connects here before the CLI has
    // given up, and a socket held open would keep server.close() (and this file) waiting forever.
    holder = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    taken = (holder.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((resolve) => holder.close(() => resolve())));

  it('tries again on "address already in use", then reports the bind failure', async () => {
    const warnings: unknown[] = [];
    const log = createLogger({ level: 'warn' });
    log.warn = ((obj: unknown) => void warnings.push(obj)) as typeof log.warn;
    await assert.rejects(
      // A port that stays taken: every attempt fails the same way.
      startDevServer({ cliPath: requireTemporalCli().path, ui: false, port: taken, log }),
      (err: Error) => {
        assert.match(err.message, /did not start/);
        assert.match(err.message, /address already in use/);
        return true;
      },
    );
    assert.deepEqual(warnings, [{ attempt: 1 }, { attempt: 2 }]);
  });

  it('starts on free ports', async () => {
    const server = await startDevServer({ cliPath: requireTemporalCli().path, ui: false });
    try {
      assert.match(server.address, /^127\.0\.0\.1:\d+$/);
    } finally {
      await server.stop();
    }
  });
});

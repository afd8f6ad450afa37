import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';

/** A free TCP port on 127.0.0.1 (the OS picks it; there is a small race until the caller binds it). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return await new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * Spawn a long-lived helper process (the Temporal dev server) that dies with us: a small shell
 * watchdog ends it when this Node process is gone, even after SIGKILL, so tests and demos never
 * leave servers behind.
 */
export function spawnTied(
  command: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv } = {},
): ChildProcess {
  const watchdog = [
    'parent=$1; shift',
    '"$@" & child=$!',
    "trap 'kill -TERM $child 2>/dev/null; wait $child; exit $?' TERM INT",
    'while kill -0 "$parent" 2>/dev/null && kill -0 "$child" 2>/dev/null; do sleep 1 & wait $!; done',
    'if kill -0 "$child" 2>/dev/null; then kill -TERM "$child"; fi',
    'wait $child',
  ].join('\n');
  return spawn('bash', ['-c', watchdog, 'watchdog', String(process.pid), command, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: opts.env ?? process.env,
  });
}

/** Send SIGTERM and wait; SIGKILL after the grace period. */
export async function stopProcess(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

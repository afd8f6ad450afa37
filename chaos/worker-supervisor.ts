import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { spawnTied, stopProcess } from '../lib/process';
import { PROJECT_ROOT } from '../lib/paths';

// Runs chaos/worker-process.ts as a separate OS process (tied to this one, so it never outlives
// the run), appends everything it prints to one log file, SIGKILLs it on demand and restarts it.
// A worker that exits on its own is restarted too, and counted: a crash is a finding.

export interface ChaosWorkerSetup {
  configFile: string;
  bundlePath: string;
  /**
   * Where the worker process serves the app's webhook routes (ShipStation mode): a fixed port, so
   * the warehouse's subscription reaches every incarnation. Absent: no HTTP server (FedEx mode).
   */
  httpPort?: number;
}

/** The line the worker prints once it runs; everything else on its stdout is a log line. */
export const READY_MARKER = 'chaos-worker-ready';

const RUN_TS = path.join(PROJECT_ROOT, 'bin', 'run-ts.js');
const WORKER_TS = path.join(__dirname, 'worker-process.ts');

export interface SupervisorOptions {
  setup: ChaosWorkerSetup;
  setupFile: string;
  env: NodeJS.ProcessEnv;
  logFile: string;
  startTimeoutMs?: number;
  note?: (line: string) => void;
}

export class WorkerSupervisor {
  private child: ChildProcess | undefined;
  private pid: number | undefined;
  private readonly log: fs.WriteStream;
  private stopping = false;
  private restarting: Promise<void> | undefined;
  /** Incarnations started (1 + restarts). */
  starts = 0;
  kills = 0;
  /** Exits nobody asked for, with their exit code or signal. */
  readonly crashes: string[] = [];

  constructor(private readonly opts: SupervisorOptions) {
    fs.writeFileSync(opts.setupFile, JSON.stringify(opts.setup));
    this.log = fs.createWriteStream(opts.logFile, { flags: 'a' });
  }

  /** Start a worker and wait until it polls its task queue. */
  async start(): Promise<void> {
    this.starts++;
    const child = spawnTied(process.execPath, [RUN_TS, WORKER_TS, this.opts.setupFile], {
      env: this.opts.env,
    });
    this.child = child;
    this.pid = undefined;
    this.log.write(`--- chaos: worker start #${this.starts} at ${new Date().toISOString()}\n`);
    let buffered = '';
    const ready = new Promise<number>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`worker not ready after ${this.opts.startTimeoutMs ?? 120_000} ms`)),
        this.opts.startTimeoutMs ?? 120_000,
      );
      child.stdout!.on('data', (chunk: Buffer) => {
        this.log.write(chunk);
        buffered = (buffered + chunk.toString('utf8')).slice(-4096);
        const m = new RegExp(`${READY_MARKER} (\\d+)`).exec(buffered);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
      child.stderr!.on('data', (chunk: Buffer) => this.log.write(chunk));
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`worker exited before it was ready (${signal ?? code})`));
      });
    });
    try {
      this.pid = await ready;
    } catch (err) {
      this.child = undefined;
      await stopProcess(child, 5000);
      throw err;
    }
    child.once('exit', (code, signal) => {
      if (this.child !== child || this.stopping) return;
      // Not asked for: note it and bring a worker back, as a process supervisor would.
      this.crashes.push(String(signal ?? code));
      this.opts.note?.(`worker exited on its own (${signal ?? code}); restarting it`);
      this.child = undefined;
      this.restarting = this.restartUntilUp();
    });
  }

  /** After a crash: try again every few seconds (the server may be down) for up to ten tries. */
  private async restartUntilUp(): Promise<void> {
    for (let attempt = 1; attempt <= 10 && !this.stopping; attempt++) {
      try {
        await this.start();
        return;
      } catch (err) {
        this.opts.note?.(`worker restart ${attempt} failed: ${(err as Error).message}`);
        await new Promise((r) => setTimeout(r, 3000));
      }
    }
  }

  /** SIGKILL the worker process itself (not its watchdog), wait for it to be gone. */
  async kill(): Promise<void> {
    await this.restarting;
    const child = this.child;
    if (!child || this.pid === undefined) return;
    this.child = undefined;
    const exited = new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else child.once('exit', () => resolve());
    });
    process.kill(this.pid, 'SIGKILL');
    this.kills++;
    await exited;
    this.log.write(`--- chaos: worker SIGKILLed at ${new Date().toISOString()}\n`);
  }

  /** Graceful stop at the end of the run. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.restarting;
    const child = this.child;
    this.child = undefined;
    if (child) await stopProcess(child, 15_000);
    await new Promise<void>((resolve) => this.log.end(() => resolve()));
  }
}

// Group commit for writes that many concurrent activities make one row at a time (audit entries,
// order status changes). Rows queued in the same turn of the event loop, and those that arrive while
// an insert is on its way, go together in one multi-row statement. Each caller's promise still
// settles only once its own row is committed (or has failed), so nothing is acknowledged that could
// be lost; a busy worker pays one round trip per batch instead of one per row.

export interface GroupCommitOptions<Row, Out> {
  /** Writes the rows in one statement and answers one result per row, in the rows' order. */
  write: (rows: Row[]) => Promise<Out[]>;
  /** Rows one statement carries at most. */
  maxBatch: number;
  /**
   * Rows with the same key never share a statement (an upsert cannot touch a row twice); a later
   * one waits for the next batch, so rows with one key are written in the order they were queued.
   */
  keyOf?: (row: Row) => string;
  /**
   * Statements start at least this far apart (default 0). A quiet writer still writes at the end of
   * the turn; a busy one gathers what arrives in between into the next statement, so at most one
   * statement per `spacingMs` reaches the database however many rows there are. Worth it where
   * callers need not wait for each row (see AuditRepo), as each waits up to this long.
   */
  spacingMs?: number;
  /** The clock `spacingMs` is kept by (default: Date.now and setTimeout; tests pass a controlled one). */
  clock?: GroupCommitClock;
}

export interface GroupCommitClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

const systemClock: GroupCommitClock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
};

interface Pending<Row, Out> {
  row: Row;
  resolve: (out: Out) => void;
  reject: (err: unknown) => void;
}

export class GroupCommit<Row, Out> {
  private queue: Array<Pending<Row, Out>> = [];
  private flushing = false;
  private lastWriteAt = 0;

  private readonly clock: GroupCommitClock;

  constructor(private readonly opts: GroupCommitOptions<Row, Out>) {
    this.clock = opts.clock ?? systemClock;
  }

  add(row: Row): Promise<Out> {
    return new Promise<Out>((resolve, reject) => {
      this.queue.push({ row, resolve, reject });
      if (!this.flushing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      // Rows added in the same turn of the event loop (concurrent activities) join this batch.
      await new Promise<void>((resolve) => setImmediate(resolve));
      while (this.queue.length > 0) {
        const wait = this.lastWriteAt + (this.opts.spacingMs ?? 0) - this.clock.now();
        if (wait > 0 && this.queue.length < this.opts.maxBatch) await this.clock.sleep(wait);
        this.lastWriteAt = this.clock.now();
        const batch = this.nextBatch();
        try {
          const outs = await this.opts.write(batch.map((p) => p.row));
          if (outs.length !== batch.length) {
            throw new Error(`a batch write answered ${outs.length} results for ${batch.length} rows`);
          }
          batch.forEach((p, i) => p.resolve(outs[i]!));
        } catch (err) {
          if (batch.length === 1) {
            batch[0]!.reject(err);
            continue;
          }
          // One bad row must not fail its neighbours: each goes alone and fails alone.
          for (const p of batch) {
            try {
              p.resolve((await this.opts.write([p.row]))[0]!);
            } catch (e) {
              p.reject(e);
            }
          }
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  /** Up to maxBatch rows from the head of the queue, no two with the same key. */
  private nextBatch(): Array<Pending<Row, Out>> {
    const { keyOf, maxBatch } = this.opts;
    if (!keyOf) return this.queue.splice(0, maxBatch);
    const batch: Array<Pending<Row, Out>> = [];
    const rest: Array<Pending<Row, Out>> = [];
    const keys = new Set<string>();
    for (const p of this.queue) {
      const key = keyOf(p.row);
      // Once a key is deferred, every later row with it is deferred too (order per key).
      if (batch.length < maxBatch && !keys.has(key)) batch.push(p);
      else rest.push(p);
      keys.add(key);
    }
    this.queue = rest;
    return batch;
  }
}

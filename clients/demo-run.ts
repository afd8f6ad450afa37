// Which demo run this is on a data folder. The simulators start empty every time, but the app's
// database (and its watermarks, order rows and tracking numbers) lives on in the data folder: a
// second `npm start` that seeded the same orders and tracking numbers as the first would find them
// already delivered. Each run takes the next number from a small file there and derives its
// simulator seed and its first ERP order number from it, so every run's data is new to the folder
// and still replayable (run N of a fresh folder always seeds the same orders).
import fs from 'node:fs';
import path from 'node:path';

const FILE = 'demo-runs.json';
/** Order numbers per run: a run seeds at most 100,000 orders (the simulators' own cap). */
const NUMBERS_PER_RUN = 100_000;
const FIRST_ORDER_NUMBER = 100_001;

export interface DemoRun {
  /** 1 for the folder's first run. */
  run: number;
  /** Seed for every simulator of this run. */
  seed: number;
  /** The first ERP order number this run's demo orders take. */
  firstOrderNumber: number;
}

/** Claim the next run number of a data folder (created if missing) and what it implies. */
export function claimDemoRun(dataDir: string): DemoRun {
  fs.mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, FILE);
  let last = 0;
  try {
    const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as { runs?: unknown };
    if (typeof parsed.runs !== 'number' || !Number.isSafeInteger(parsed.runs) || parsed.runs < 0)
      throw new Error('"runs" is not a count');
    last = parsed.runs;
  } catch (err) {
    // A missing file is a fresh folder. A broken one is not guessed at: a guess could seed orders
    // the folder already has.
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new Error(
        `${file} is not {"runs": <count>} (${(err as Error).message}): fix the count, or delete the file with the rest of the data folder`,
        { cause: err },
      );
    }
  }
  const run = last + 1;
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify({ runs: run })}\n`);
  fs.renameSync(tmp, file);
  return demoRun(run);
}

/** What run N implies: pure, so tests and docs can name a run's numbers. */
export function demoRun(run: number): DemoRun {
  return {
    run,
    seed: (0x5eed0000 + run * 7919) >>> 0,
    firstOrderNumber: FIRST_ORDER_NUMBER + (run - 1) * NUMBERS_PER_RUN,
  };
}

// Seeds for generated test data. Every suite that generates data takes its seed from here: fixed by
// default, so a run is the same every time and CI cannot go red without a change, and printed, so a
// failure can be replayed. MLC_TEST_SEED sets another base to explore other data on purpose.

const DEFAULT_BASE = 20_261_207;

/** The base seed of this run: MLC_TEST_SEED when set (an integer), else the fixed default. */
export function baseSeed(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.MLC_TEST_SEED;
  if (raw === undefined || raw === '') return DEFAULT_BASE;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 0)
    throw new Error(`MLC_TEST_SEED must be a non-negative integer, got "${raw}"`);
  return value;
}

/**
 * A suite's seeds: one per call, derived from the base and the suite's name, so suites do not share
 * data and the same call in the same suite always gets the same seed. Says its base once.
 */
export function seedSequence(suite: string, env: NodeJS.ProcessEnv = process.env) {
  const base = baseSeed(env);
  let h = 0x811c9dc5;
  for (let i = 0; i < suite.length; i++) h = Math.imul(h ^ suite.charCodeAt(i), 0x01000193);
  let n = 0;
  const replay = `test data of "${suite}" from seed ${base} (replay with MLC_TEST_SEED=${base})`;
  console.log(replay);
  return {
    base,
    /** For failure messages: which seed made the data. */
    replay,
    next(): number {
      return ((h ^ base) + Math.imul(n++, 0x9e3779b1)) >>> 0;
    },
  };
}

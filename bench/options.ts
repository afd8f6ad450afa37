// Command-line options of `npm run bench`. Every phase is bounded by a count and a deadline.

export interface BenchOptions {
  /** Orders pushed through the real and the null pipeline for the throughput figure. */
  orders: number;
  /** orderShipment workflows held open in the child worker for the RSS figure. */
  open: number;
  /** Orders seeded one by one while the 5-s ERP poll schedule runs (latency figure). */
  latencyOrders: number;
  /** Span over which the latency orders arrive. */
  latencySeconds: number;
  /** Orders shipped against the lowered FedEx limit. */
  limitOrders: number;
  /** The lowered FedEx limit (calls per 10 s), in the simulator and in the connector's config. */
  fedexLimitPer10s: number;
  /** Worker instances for the pipelines (each with its own connectors), to show tokens are shared. */
  workers: number;
  /** Histories fetched for the cost figures. */
  sample: number;
  /** Seconds any single wait may take before the bench gives up on it and reports what it has. */
  phaseTimeoutSeconds: number;
  /** Orders through the Plex -> ShipStation (warehouse) pipeline. */
  ssOrders: number;
  /** Throughput pairs (null and real pipeline), their order alternating; the ratio is their median. */
  rounds: number;
  /** Seconds of quiet before each throughput phase after the first (0: none). */
  settleSeconds: number;
}

const USAGE = `usage: npm run bench -- [--orders N] [--open N] [--latency-orders N] [--latency-seconds S]
                        [--limit-orders N] [--fedex-limit N] [--workers N] [--sample N] [--phase-timeout S]
                        [--ss-orders N] [--rounds N] [--settle S]`;

/**
 * The pause before each throughput phase but the first. An order's activities leave timers on the
 * server that fire when the start-to-close timeout (60 s) has passed, finished or not; without
 * the pause the previous phase's timers fire, and take the server's CPU, during the next one.
 */
export const DEFAULT_SETTLE_SECONDS = 65;

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

export function parseOptions(argv: string[]): BenchOptions {
  const given = new Map<string, number>();
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    if (flag === '--help' || flag === '-h') {
      console.log(USAGE);
      process.exit(0);
    }
    const value = Number(argv[i + 1]);
    // --settle 0 turns the pause off; every other option counts something and must be at least 1.
    const least = flag === '--settle' ? 0 : 1;
    if (!flag.startsWith('--') || !Number.isFinite(value) || value < least || !Number.isInteger(value)) {
      const what = least === 0 ? 'a whole number' : 'a positive integer';
      throw new Error(`bad option ${flag} ${argv[i + 1] ?? ''}: expected ${what}\n${USAGE}`);
    }
    given.set(flag.slice(2), value);
    i++;
  }
  const known = [
    'orders',
    'open',
    'latency-orders',
    'latency-seconds',
    'limit-orders',
    'fedex-limit',
    'workers',
    'sample',
    'phase-timeout',
    'ss-orders',
    'rounds',
    'settle',
  ];
  for (const k of given.keys()) if (!known.includes(k)) throw new Error(`unknown option --${k}\n${USAGE}`);

  const orders = given.get('orders') ?? 2000;
  return {
    orders,
    open: given.get('open') ?? 10_000,
    // The smaller phases scale with --orders so a quick run stays quick.
    latencyOrders: given.get('latency-orders') ?? clamp(Math.round(orders / 10), 30, 200),
    latencySeconds: given.get('latency-seconds') ?? 60,
    limitOrders: given.get('limit-orders') ?? clamp(Math.round(orders / 5), 200, 400),
    fedexLimitPer10s: given.get('fedex-limit') ?? 100,
    workers: given.get('workers') ?? 2,
    sample: given.get('sample') ?? 50,
    phaseTimeoutSeconds: given.get('phase-timeout') ?? 900,
    ssOrders: given.get('ss-orders') ?? 100,
    // Rounds alternate null first and real first, so a drift over the run (the dev server slows as
    // the orders of every phase stay open on it) weighs on both pipelines alike. Four, because one
    // phase's rate moves by about 15% on this kind of machine whatever its place in the run: the
    // median of four pairs is steadier than that of two.
    rounds: given.get('rounds') ?? 4,
    settleSeconds: given.get('settle') ?? DEFAULT_SETTLE_SECONDS,
  };
}

// Command-line options of `npm run chaos`. Everything the run does is bounded by a count and a deadline.

export interface ChaosOptions {
  /** Demo orders seeded into the Plex simulator (2% of them with bad data). */
  orders: number;
  /** SIGKILLs of the worker process (each followed by a restart). */
  kills: number;
  /** Seeds the simulators, the bad orders and every chaos decision (when and what to break). */
  seed: number;
  /** Seconds the whole run may take before it gives up and reports what it has. */
  timeoutSeconds: number;
  /** Share of requests answered with a 5xx (default 0.10, the figure). */
  errorRate: number;
  /** Share of requests never answered, so the caller's timeout ends them (default 0.05). */
  timeoutRate: number;
  /** Where the orders go: FedEx labels (default) or a ShipStation warehouse (`--carrier shipstation`). */
  carrier?: ChaosCarrier;
}

export type ChaosCarrier = 'fedex' | 'shipstation';
export const CARRIERS: readonly ChaosCarrier[] = ['fedex', 'shipstation'];

export const USAGE = `usage: npm run chaos -- [--carrier fedex|shipstation] [--orders N] [--kills N] [--seed S] [--timeout SECONDS]
  --carrier  fedex: labels at FedEx (default); shipstation: a ShipStation warehouse ships them
  --orders   demo orders from Plex, 2% of them with bad data (default 1000)
  --kills    times the worker process is killed with SIGKILL and restarted (default 3, at least 3)
  --seed     seed of the simulators and of every chaos decision (default: time based)
  --timeout  seconds the run may take before it stops and reports (default 3600)
  --error-rate, --timeout-rate
             share of requests answered 5xx / never answered (defaults 0.10 / 0.05, the issue's;
             lower them to find which faults the pipeline survives)`;

const RATES = ['error-rate', 'timeout-rate'];
const NAMES = ['orders', 'kills', 'seed', 'timeout', ...RATES];
const WORDS = ['carrier'];

export function parseOptions(argv: string[]): ChaosOptions {
  const given = new Map<string, number>();
  let carrier: ChaosCarrier = 'fedex';
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    if (flag === '--help' || flag === '-h') {
      console.log(USAGE);
      process.exit(0);
    }
    const name = flag.replace(/^--/, '');
    if (!flag.startsWith('--') || ![...NAMES, ...WORDS].includes(name))
      throw new Error(`unknown option ${flag}\n${USAGE}`);
    const raw = argv[i + 1];
    if (name === 'carrier') {
      if (!CARRIERS.includes(raw as ChaosCarrier)) {
        throw new Error(
          `bad value for ${flag}: ${raw ?? '(missing)'} (expected ${CARRIERS.join(' or ')})\n${USAGE}`,
        );
      }
      carrier = raw as ChaosCarrier;
      i++;
      continue;
    }
    const value = Number(raw);
    if (RATES.includes(name)) {
      if (raw === undefined || !(value >= 0 && value <= 1)) {
        throw new Error(
          `bad value for ${flag}: ${raw ?? '(missing)'} (expected a share from 0 to 1)\n${USAGE}`,
        );
      }
    } else {
      const min = name === 'seed' ? 0 : 1;
      if (raw === undefined || !Number.isInteger(value) || value < min || value > 2 ** 32 - 1) {
        throw new Error(
          `bad value for ${flag}: ${raw ?? '(missing)'} (expected an integer >= ${min})\n${USAGE}`,
        );
      }
    }
    given.set(name, value);
    i++;
  }
  const kills = given.get('kills') ?? 3;
  if (kills < 3) throw new Error(`--kills must be at least 3 (the issue asks for three or more)\n${USAGE}`);
  const orders = given.get('orders') ?? 1000;
  if (orders > 20_000) throw new Error(`--orders must be at most 20000\n${USAGE}`);
  return {
    orders,
    kills,
    seed: given.get('seed') ?? Date.now() % 2 ** 31,
    timeoutSeconds: given.get('timeout') ?? 3600,
    errorRate: given.get('error-rate') ?? 0.1,
    timeoutRate: given.get('timeout-rate') ?? 0.05,
    // Only when not the default, so a FedEx run prints its options as before.
    ...(carrier === 'fedex' ? {} : { carrier }),
  };
}

import os from 'node:os';
import { runChaos } from './chaos';
import { parseOptions } from './options';

// `npm run chaos`: the order pipeline under chaos (see chaos/README.md). Prints what it did and
// what it found, ends with one `chaos: ...` line, and exits 1 when any invariant broke.

async function main(): Promise<number> {
  const opts = parseOptions(process.argv.slice(2));
  console.log(
    `chaos: ${os.cpus().length} CPUs, node ${process.version}, load ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}; options ${JSON.stringify(opts)}`,
  );
  const stop = new AbortController();
  const onSignal = () => {
    console.log('chaos: interrupted; checking what there is, then cleaning up');
    stop.abort();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const result = await runChaos({
    ...opts,
    say: (line) => console.log(line),
    signal: stop.signal,
    keepDir: process.env.CHAOS_KEEP_DIR || undefined,
  });
  for (const d of result.details) console.log(`  ${d}`);
  if (result.violations.length === 0) console.log(`chaos: every invariant held (${result.elapsedSeconds} s)`);
  else for (const v of result.violations) console.log(`chaos: VIOLATED: ${v}`);
  console.log(result.line);
  return result.violations.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(`chaos failed: ${err.stack ?? err.message}`);
    process.exit(2);
  },
);

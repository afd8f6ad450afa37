// Setup step (npm postinstall and `npm run setup:temporal`): make sure a Temporal CLI is available.
// It builds only when no binary is found, so a second `npm install` reuses the cached one.
import { setupTemporalCli, TemporalCliMissingError } from '../lib/temporal/cli-binary';

const log = (line: string) => console.log(`[setup] ${line}`);

try {
  const found = setupTemporalCli(log);
  if (!found) {
    // No binary and no Go: `npm start` can still use the SDK's own download on machines with internet access.
    log(new TemporalCliMissingError('no binary and no Go toolchain').message);
    log(
      '`npm start` will try the Temporal SDK download instead (needs internet access); tests need the binary.',
    );
  }
} catch (err) {
  console.error(`[setup] ${(err as Error).message}`);
  process.exit(1);
}

// The app's configuration loader: lib/config's, with the systems of the connector registry.

import { loadConfigWith, type Config, type LoadConfigOptions } from '../lib/config';
import { CONFIG_SYSTEMS } from '../connectors/registry';

export { ConfigError, type Config } from '../lib/config';

export function loadConfig(opts: LoadConfigOptions = {}): Config {
  return loadConfigWith(CONFIG_SYSTEMS, opts);
}

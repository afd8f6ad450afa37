import { readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { applyEnv } from './env';
import { ConfigError, configErrorFromZod } from './errors';
import { buildConfigSchema, type ParsedConfig, type SystemConfigSpec } from './schema';

export { durationToMs, isDuration } from './duration';
export { ConfigError } from './errors';
export { envName, envSegment, RESERVED_ENV } from './env';
export {
  buildConfigSchema,
  defaultBaseUrl,
  httpUrl,
  nonEmpty,
  positiveInt,
  requiredCredentials,
  stringMap,
  type ConfigSchema,
  type ConnectionConfig,
  type CredentialReference,
  type MappingConfig,
  type SystemConfigSpec,
} from './schema';

type Temporal = ParsedConfig['temporal'];

/** The validated configuration. Paths are absolute (relative ones are resolved against `cwd`). */
export type Config = Omit<ParsedConfig, 'temporal' | 'vault'> & {
  temporal: Omit<Temporal, 'devServer'> & { devServer: Temporal['devServer'] & { dbFile: string } };
  vault: { keyFile: string };
};

export interface LoadConfigOptions {
  /** Config file (.yaml, .yml or .json); defaults to $MLC_CONFIG, else the embedded demo. */
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Directory that relative paths (the file, dataDir, key and TLS files) are resolved against. */
  cwd?: string;
}

/** What the configuration is checked against: the systems there are, and the configuration used without a file. */
export interface ConfigSystems {
  systems: readonly SystemConfigSpec[];
  demo: Record<string, unknown>;
}

/**
 * Load the configuration: the file (or the embedded demo), then conventional env aliases, then
 * MLC_ overrides, validated as a whole. Throws ConfigError with a one-line message. The app calls
 * it through clients/config.ts, which hands in the connector registry's systems.
 */
export function loadConfigWith(known: ConfigSystems, opts: LoadConfigOptions = {}): Config {
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  const file = opts.file ?? (env.MLC_CONFIG || undefined);
  const raw = file ? readConfigFile(path.resolve(cwd, file)) : structuredClone(known.demo);
  const schema = buildConfigSchema(known.systems);
  const origins = applyEnv(raw, schema, env);
  const result = schema.safeParse(raw, { reportInput: true });
  if (!result.success) throw configErrorFromZod(result.error, schema, raw, origins);
  return resolvePaths(result.data, cwd);
}

function readConfigFile(file: string): Record<string, unknown> {
  const ext = path.extname(file).toLowerCase();
  if (!['.yaml', '.yml', '.json'].includes(ext)) {
    throw new ConfigError(`config file "${file}" has an unknown extension (name it .yaml, .yml or .json)`);
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new ConfigError(
      `cannot read config file "${file}": ${code} (check the path given by --config or MLC_CONFIG)`,
    );
  }
  let parsed: unknown;
  try {
    parsed = ext === '.json' ? JSON.parse(text) : YAML.parse(text);
  } catch (err) {
    const first = (err as Error).message.split('\n')[0];
    throw new ConfigError(
      `config file "${file}" is not valid ${ext === '.json' ? 'JSON' : 'YAML'}: ${first} (fix the syntax)`,
    );
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError(
      `config file "${file}" must hold a mapping of keys at top level (start with e.g. "connections:")`,
    );
  }
  return parsed as Record<string, unknown>;
}

function resolvePaths(parsed: ParsedConfig, cwd: string): Config {
  const dataDir = path.resolve(cwd, parsed.dataDir);
  const at = (p: string | undefined) => (p === undefined ? undefined : path.resolve(cwd, p));
  const tls = parsed.temporal.tls && {
    ...parsed.temporal.tls,
    caFile: at(parsed.temporal.tls.caFile),
    certFile: at(parsed.temporal.tls.certFile),
    keyFile: at(parsed.temporal.tls.keyFile),
  };
  return {
    ...parsed,
    dataDir,
    temporal: {
      ...parsed.temporal,
      ...(tls ? { tls: dropUndefined(tls) } : {}),
      devServer: {
        ...parsed.temporal.devServer,
        dbFile: at(parsed.temporal.devServer.dbFile) ?? path.join(dataDir, 'temporal.db'),
      },
    },
    vault: { keyFile: at(parsed.vault.keyFile) ?? path.join(dataDir, 'master.key') },
  };
}

function dropUndefined<T extends object>(obj: T): T {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as T;
}

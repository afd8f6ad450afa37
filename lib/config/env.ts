import type { z } from 'zod';
import { ConfigError, formatPath } from './errors';
import { childSchema, keysAt, takesString } from './introspect';
import { suggestion } from './suggest';

export const ENV_PREFIX = 'MLC_';

/** MLC_ variables that are not config keys. Anything else with the prefix must match a key. */
export const RESERVED_ENV = new Set(['MLC_CONFIG', 'MLC_MASTER_KEY', 'MLC_MASTER_KEY_PREVIOUS']);

/**
 * Conventional variables honoured as aliases (applied before MLC_ variables, which win).
 * TEMPORAL_API_KEY holds the key itself, so the config gets a reference to it, never the value.
 */
const ALIASES: ReadonlyArray<{ name: string; path: string[]; value: (v: string) => string }> = [
  { name: 'DATABASE_URL', path: ['database', 'url'], value: (v) => v },
  { name: 'TEMPORAL_ADDRESS', path: ['temporal', 'address'], value: (v) => v },
  { name: 'TEMPORAL_NAMESPACE', path: ['temporal', 'namespace'], value: (v) => v },
  { name: 'TEMPORAL_API_KEY', path: ['temporal', 'apiKey'], value: () => 'env:TEMPORAL_API_KEY' },
  { name: 'LOG_LEVEL', path: ['log', 'level'], value: (v) => v },
];

/**
 * The env segment for a key: camelCase split before an upper-case letter that follows a
 * lower-case letter or digit, "-" turned into "_", upper-cased. Digits stay with the word before
 * them: transactionsPer10s -> TRANSACTIONS_PER10S, v1PerMinute -> V1_PER_MINUTE, carrier-demo -> CARRIER_DEMO.
 */
export function envSegment(key: string): string {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/-/g, '_')
    .toUpperCase();
}

/** The MLC_ variable that overrides a key path, e.g. ['http', 'port'] -> MLC_HTTP__PORT. */
export function envName(path: readonly string[]): string {
  return ENV_PREFIX + path.map(envSegment).join('__');
}

type Container = Record<string, unknown> | unknown[];

function isContainer(value: unknown): value is Container {
  return typeof value === 'object' && value !== null;
}

/** JSON when it parses (numbers, booleans, arrays, objects), else the text; strings stay verbatim. */
function parseValue(text: string, schema: z.ZodType | undefined): unknown {
  if (schema && takesString(schema)) return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function setAt(raw: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node: Record<string, unknown> = raw;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (!isContainer(next) || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]!] = value;
}

/**
 * Apply aliases and MLC_ overrides to `raw` in place (it must be a private copy). Returns which
 * variable set which key path, so validation errors can name the variable.
 */
export function applyEnv(
  raw: Record<string, unknown>,
  schema: z.ZodType,
  env: NodeJS.ProcessEnv,
): Map<string, string> {
  const origins = new Map<string, string>();
  for (const alias of ALIASES) {
    const value = env[alias.name];
    if (value === undefined || value === '') continue;
    setAt(raw, alias.path, alias.value(value));
    origins.set(formatPath(alias.path), alias.name);
  }

  const names = Object.keys(env)
    .filter((n) => n.startsWith(ENV_PREFIX) && !RESERVED_ENV.has(n))
    .sort();
  for (const name of names) {
    const path = applyOne(raw, schema, name, env[name] ?? '');
    origins.set(formatPath(path), name);
  }
  return origins;
}

function applyOne(raw: Record<string, unknown>, schema: z.ZodType, name: string, text: string): string[] {
  const segments = name.slice(ENV_PREFIX.length).split('__');
  const path: string[] = [];
  let node: Container = raw;
  let nodeSchema: z.ZodType | undefined = schema;

  segments.forEach((segment, i) => {
    const keys = nodeSchema ? keysAt(nodeSchema, node) : [];
    const key = keys.find((k) => envSegment(k) === segment);
    if (key === undefined) {
      const at = path.length === 0 ? 'top level' : formatPath(path);
      const candidates = keys.map((k) => envName([...path, k]));
      const fix = suggestion(envName([...path.map(String), segment]), candidates);
      throw new ConfigError(
        `environment variable ${name} matches no config key: "${segment}" at ${at} (${fix})`,
      );
    }
    const child = nodeSchema ? childSchema(nodeSchema, key, node) : undefined;
    path.push(key);
    const container = node as Record<string, unknown>;
    if (i === segments.length - 1) {
      container[key] = parseValue(text, child);
      return;
    }
    // Descend, creating objects for schema keys the file left out (e.g. temporal.tls).
    if (!isContainer(container[key])) container[key] = {};
    node = container[key] as Container;
    nodeSchema = child;
  });
  return path;
}

import type { z } from 'zod';
import { keysAt, schemaAt } from './introspect';
import { suggestion } from './suggest';

/** A configuration problem. `.message` is one line naming the key and the fix. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  /** Every problem found (the message shows the first), each in the same one-line form. */
  readonly problems: string[];

  constructor(problem: string, more: string[] = []) {
    super(`config error: ${problem}`);
    this.problems = [problem, ...more];
  }
}

export function formatPath(path: readonly PropertyKey[]): string {
  return path.map(String).join('.');
}

/** Values at these paths may be secrets (or hold a password), so messages never echo them. */
function isSecretPath(path: readonly PropertyKey[]): boolean {
  const p = path.map(String);
  return p.includes('credentials') || p.at(-1) === 'apiKey' || formatPath(p) === 'database.url';
}

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

type Issue = z.core.$ZodIssue & { input?: unknown; params?: Record<string, unknown> };

/** Turn one zod issue into `<key>: <value> <problem> (<fix>)`. */
function formatIssue(issue: Issue, schema: z.ZodType, raw: unknown, origins: Origins): string {
  const path = issue.path;
  const where = formatPath(path) + originNote(path, origins);
  const hide = isSecretPath(path) || issue.params?.hideValue === true;
  const prefix = (value: unknown) =>
    value === undefined || hide ? `${where}: ` : `${where}: ${show(value)} `;

  switch (issue.code) {
    case 'unrecognized_keys': {
      const allowed = keysAt(schemaAt(schema, path, raw) ?? schema, undefined);
      const key = issue.keys[0] ?? '';
      const at = path.length === 0 ? `at top level${originNote(path, origins)}` : `in ${where}`;
      return `unknown key "${key}" ${at} (${suggestion(key, allowed)})`;
    }
    case 'invalid_union': {
      const d = issue as Issue & { discriminator?: string; options?: unknown[] };
      if (d.discriminator) {
        const value = (issue.input as Record<string, unknown> | undefined)?.[d.discriminator];
        const options = (d.options ?? []).map(String);
        if (value === undefined) return `${where}: is required (write one of: ${options.join(', ')})`;
        return `${prefix(value)}is not one of ${options.join(', ')} (${suggestion(String(value), options)})`;
      }
      return `${prefix(issue.input)}does not match any allowed form (${issue.message})`;
    }
    case 'invalid_key': {
      const reason = issue.issues[0]?.message ?? 'is not allowed here';
      return `${formatPath(path.slice(0, -1))}: key ${show(path.at(-1))} ${reason}`;
    }
    case 'invalid_type':
      if (issue.input === undefined) {
        const key = String(path.at(-1) ?? 'it');
        return issue.expected === 'object'
          ? `${where}: is required (add a "${key}" section)`
          : `${where}: is required (add ${key}: <${issue.expected}>)`;
      }
      if (hasFix(issue.message)) return `${prefix(issue.input)}${issue.message}`;
      return `${prefix(issue.input)}is not ${article(issue.expected)} (write ${article(issue.expected)})`;
    case 'invalid_value': {
      const options = issue.values.map((v) => String(v));
      return `${prefix(issue.input)}is not one of ${options.join(', ')} (${suggestion(String(issue.input), options)})`;
    }
    case 'custom':
      if (issue.params?.kind === 'literalSecret') {
        const ref = literalSecretRef(path);
        return (
          `${where}: a literal secret is not allowed in the config ` +
          `(store it with "ml-connector secrets set ${ref}" and write "vault:${ref}", or write "env:<VAR>")`
        );
      }
      if (issue.params?.kind === 'unknownConnection') {
        const candidates = (issue.params.candidates as string[]) ?? [];
        return `${prefix(issue.input)}names no connection (${suggestion(String(issue.input), candidates)})`;
      }
      return `${prefix(issue.input)}${issue.message}`;
    default:
      // Messages set on the schema already carry the fix; zod's own defaults get a generic one.
      return hasFix(issue.message)
        ? `${prefix(issue.input)}${issue.message}`
        : `${prefix(issue.input)}is invalid: ${issue.message} (fix the value)`;
  }
}

/** Messages set on the schema end with the fix in parentheses; zod's own defaults do not. */
function hasFix(message: string): boolean {
  return message.endsWith(')');
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

/** `connections.carrier-demo.credentials.clientSecret` -> `carrier-demo.clientSecret`. */
function literalSecretRef(path: readonly PropertyKey[]): string {
  const p = path.map(String);
  const at = p.indexOf('credentials');
  if (p[0] === 'connections' && at === 2 && p[1] && p[3]) return `${p[1]}.${p[3]}`;
  return p.join('.');
}

/** Which environment variable set which key path (formatted with dots), to name it in messages. */
export type Origins = ReadonlyMap<string, string>;

function originNote(path: readonly PropertyKey[], origins: Origins): string {
  for (let n = path.length; n >= 0; n--) {
    const origin = origins.get(formatPath(path.slice(0, n)));
    if (origin) return ` (from ${origin})`;
  }
  return '';
}

/** One ConfigError for a failed parse; unknown keys come first since they usually cause the rest. */
export function configErrorFromZod(
  error: z.ZodError,
  schema: z.ZodType,
  raw: unknown,
  origins: Origins,
): ConfigError {
  const issues = [...(error.issues as Issue[])].sort(
    (a, b) => Number(b.code === 'unrecognized_keys') - Number(a.code === 'unrecognized_keys'),
  );
  const lines = issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys' && issue.keys.length > 1) {
      return issue.keys.map((key) => formatIssue({ ...issue, keys: [key] }, schema, raw, origins));
    }
    return [formatIssue(issue, schema, raw, origins)];
  });
  const [first = 'invalid configuration', ...rest] = lines;
  return new ConfigError(first, rest);
}

import type { z } from 'zod';

// Just enough zod introspection to answer "which keys exist here?" for env overrides and
// "did you mean" suggestions, so neither needs a hand-kept copy of the schema's key tree.

type Def = {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  valueType?: z.ZodType;
  element?: z.ZodType;
  options?: z.ZodType[];
  discriminator?: string;
  values?: unknown[];
};

const WRAPPERS = new Set(['optional', 'default', 'prefault', 'nullable', 'readonly', 'nonoptional', 'catch']);

function def(schema: z.ZodType): Def {
  return (schema as unknown as { _zod: { def: Def } })._zod.def;
}

/** The schema under optional/default/pipe wrappers. */
export function unwrap(schema: z.ZodType): z.ZodType {
  let s = schema;
  for (;;) {
    const d = def(s);
    if (WRAPPERS.has(d.type) && d.innerType) s = d.innerType;
    else if (d.type === 'pipe' && d.in) s = d.in;
    else return s;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** For a discriminated union, the option matching `value`'s discriminator (if any). */
function unionOption(d: Def, value: unknown): z.ZodType | undefined {
  if (!d.discriminator || !d.options || !isRecord(value)) return undefined;
  const wanted = value[d.discriminator];
  return d.options.find((o) => {
    const field = def(unwrap(o)).shape?.[d.discriminator!];
    return field !== undefined && def(unwrap(field)).values?.includes(wanted);
  });
}

/** Keys that may appear in `value` under `schema`: an object's fields, a record's present keys. */
export function keysAt(schema: z.ZodType, value: unknown): string[] {
  const s = unwrap(schema);
  const d = def(s);
  switch (d.type) {
    case 'object':
      return Object.keys(d.shape ?? {});
    case 'record':
      return isRecord(value) ? Object.keys(value) : [];
    case 'array':
      return Array.isArray(value) ? value.map((_, i) => String(i)) : [];
    case 'union': {
      const option = unionOption(d, value);
      if (option) return keysAt(option, value);
      return [...new Set((d.options ?? []).flatMap((o) => keysAt(o, value)))];
    }
    default:
      return [];
  }
}

/** The schema of `key` inside `value` under `schema`. */
export function childSchema(schema: z.ZodType, key: string, value: unknown): z.ZodType | undefined {
  const s = unwrap(schema);
  const d = def(s);
  switch (d.type) {
    case 'object':
      return d.shape?.[key];
    case 'record':
      return d.valueType;
    case 'array':
      return d.element;
    case 'union': {
      const option = unionOption(d, value) ?? d.options?.find((o) => keysAt(o, value).includes(key));
      return option ? childSchema(option, key, value) : undefined;
    }
    default:
      return undefined;
  }
}

/** The schema at `path` inside `root`, following the raw `value` for records and unions. */
export function schemaAt(
  root: z.ZodType,
  path: readonly PropertyKey[],
  value: unknown,
): z.ZodType | undefined {
  let schema: z.ZodType | undefined = root;
  let current = value;
  for (const key of path) {
    if (!schema) return undefined;
    schema = childSchema(schema, String(key), current);
    current =
      isRecord(current) || Array.isArray(current)
        ? (current as Record<string, unknown>)[String(key)]
        : undefined;
  }
  return schema;
}

/** True when the schema takes a string (so an env value is used verbatim, not JSON-parsed). */
export function takesString(schema: z.ZodType): boolean {
  const d = def(unwrap(schema));
  if (d.type === 'string' || d.type === 'enum') return true;
  if (d.type === 'literal') return typeof d.values?.[0] === 'string';
  if (d.type === 'union') return (d.options ?? []).every(takesString);
  return false;
}

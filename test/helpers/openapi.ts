// Shared checks for tests that hold JSON against an OpenAPI file's component schemas.

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- OpenAPI documents are untyped here
export type Schema = any;

/** Follow `#/components/schemas/...` references until a concrete schema. */
export function resolveRef(spec: Schema, schema: Schema): Schema {
  let s = schema;
  while (s && s.$ref) s = spec.components.schemas[String(s.$ref).split('/').pop()!];
  return s;
}

/**
 * Paths of properties in `data` that the schema does not declare (following references). OpenAPI
 * schemas rarely forbid extra properties, so ajv alone would miss a misspelt field name.
 */
export function undeclaredProperties(
  spec: Schema,
  schema: Schema,
  data: unknown,
  at = '$',
  out: string[] = [],
): string[] {
  const s = resolveRef(spec, schema);
  if (!s || data === null || typeof data !== 'object') return out;
  if (Array.isArray(data)) {
    if (s.items) data.forEach((item, i) => undeclaredProperties(spec, s.items, item, `${at}[${i}]`, out));
    return out;
  }
  const props: Record<string, Schema> = s.properties ?? {};
  for (const [key, value] of Object.entries(data)) {
    if (!(key in props)) out.push(`${at}.${key}`);
    else undeclaredProperties(spec, props[key], value, `${at}.${key}`, out);
  }
  return out;
}

// Small list helpers the connectors share: batches for list filters that take many ids, and the
// distinct non-empty ids of a list.

/** `items` in consecutive batches of at most `size`. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** The distinct non-empty strings of `items`, in first-seen order. */
export function unique(items: ReadonlyArray<string | null | undefined>): string[] {
  return [...new Set(items.filter((x): x is string => typeof x === 'string' && x !== ''))];
}

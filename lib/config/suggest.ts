/** Levenshtein distance, small and allocation-light: config keys are short. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/** The candidate closest to `word`, if it is close enough to be a plausible typo. */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  const limit = Math.max(2, Math.floor(word.length / 3));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  if (bestDistance <= limit) return best;
  // A truncation or an extension ("warning" for "warn") is a typo too, whatever the distance.
  const lower = word.toLowerCase();
  for (const c of candidates) {
    const cl = c.toLowerCase();
    if (cl.length >= 3 && lower.length >= 3 && (lower.startsWith(cl) || cl.startsWith(lower))) return c;
  }
  return undefined;
}

/** `did you mean "x"?` or a list of what is allowed, for the parenthesised fix of a config error. */
export function suggestion(word: string, candidates: readonly string[]): string {
  const near = closest(word, candidates);
  if (near) return `did you mean "${near}"?`;
  if (candidates.length === 0) return 'remove it';
  return `remove it; allowed: ${candidates.join(', ')}`;
}

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const;
const PART = /(\d+)(ms|s|m|h)/g;
const WHOLE = /^(?:\d+(?:ms|s|m|h))+$/;

/** True when `text` is a duration this module understands: `500ms`, `30s`, `5m`, `1h`, `1h30m`. */
export function isDuration(text: string): boolean {
  return WHOLE.test(text) && durationParts(text) > 0;
}

/**
 * Convert a duration such as `5m` or `1h30m` to milliseconds. Units: ms, s, m, h. Zero and
 * anything else (negative numbers, spaces, `5 min`, bare numbers) throw, so a typo in a schedule
 * can never silently become "poll continuously".
 */
export function durationToMs(text: string): number {
  if (!WHOLE.test(text)) {
    throw new Error(
      `"${text}" is not a duration (write a number followed by ms, s, m or h, e.g. 5m or 1h30m)`,
    );
  }
  const ms = durationParts(text);
  if (ms <= 0) throw new Error(`"${text}" is not a positive duration (e.g. 5m)`);
  return ms;
}

function durationParts(text: string): number {
  let total = 0;
  for (const [, amount, unit] of text.matchAll(PART)) {
    total += Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS];
  }
  return total;
}

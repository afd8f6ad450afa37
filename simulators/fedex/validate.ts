import { FedexError, MESSAGES, type FedexErrorDetail } from './errors';

export type Json = Record<string, unknown>;

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Collects field problems while walking a request, then throws them all as one FedEx 400.
 * The code is INVALID.INPUT.EXCEPTION with the field path in the message and parameterList,
 * so an operator can see which field to fix.
 */
export class Checker {
  private readonly problems: FedexErrorDetail[] = [];

  fail(path: string, reason: string): void {
    this.problems.push({
      code: 'INVALID.INPUT.EXCEPTION',
      message: `${MESSAGES.invalidInput}: ${path} ${reason}.`,
      parameterList: [{ key: 'field', value: path }],
    });
  }

  object(parent: Json, key: string, path: string, required = true): Json | undefined {
    const value = parent[key];
    if (value === undefined || value === null) {
      if (required) this.fail(`${path}`, 'is required');
      return undefined;
    }
    if (!isObject(value)) {
      this.fail(path, 'must be an object');
      return undefined;
    }
    return value;
  }

  array(
    parent: Json,
    key: string,
    path: string,
    opts: { required?: boolean; min?: number; max?: number } = {},
  ) {
    const value = parent[key];
    if (value === undefined || value === null) {
      if (opts.required ?? true) this.fail(path, 'is required');
      return undefined;
    }
    if (!Array.isArray(value)) {
      this.fail(path, 'must be an array');
      return undefined;
    }
    if (opts.min !== undefined && value.length < opts.min)
      this.fail(path, `must have at least ${opts.min} item(s)`);
    if (opts.max !== undefined && value.length > opts.max)
      this.fail(path, `must have at most ${opts.max} item(s)`);
    return value as unknown[];
  }

  string(
    parent: Json,
    key: string,
    path: string,
    opts: { required?: boolean; max?: number; min?: number; pattern?: RegExp; enum?: readonly string[] } = {},
  ): string | undefined {
    const value = parent[key];
    if (value === undefined || value === null || value === '') {
      if (opts.required ?? true) this.fail(path, 'is required');
      return undefined;
    }
    if (typeof value !== 'string') {
      this.fail(path, 'must be a string');
      return undefined;
    }
    if (opts.enum && !opts.enum.includes(value)) {
      this.fail(path, `must be one of ${opts.enum.join(', ')}`);
      return undefined;
    }
    if (opts.max !== undefined && value.length > opts.max)
      this.fail(path, `must be at most ${opts.max} characters`);
    if (opts.min !== undefined && value.length < opts.min)
      this.fail(path, `must be at least ${opts.min} characters`);
    if (opts.pattern && !opts.pattern.test(value)) this.fail(path, 'has an invalid format');
    return value;
  }

  number(
    parent: Json,
    key: string,
    path: string,
    opts: { required?: boolean; min?: number; max?: number } = {},
  ) {
    const value = parent[key];
    if (value === undefined || value === null) {
      if (opts.required ?? true) this.fail(path, 'is required');
      return undefined;
    }
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      this.fail(path, 'must be a number');
      return undefined;
    }
    if (opts.min !== undefined && value < opts.min) this.fail(path, `must be at least ${opts.min}`);
    if (opts.max !== undefined && value > opts.max) this.fail(path, `must be at most ${opts.max}`);
    return value;
  }

  boolean(parent: Json, key: string, path: string, required = true): boolean | undefined {
    const value = parent[key];
    if (value === undefined || value === null) {
      if (required) this.fail(path, 'is required');
      return undefined;
    }
    if (typeof value !== 'boolean') {
      this.fail(path, 'must be true or false');
      return undefined;
    }
    return value;
  }

  get ok(): boolean {
    return this.problems.length === 0;
  }

  /** Throw the collected problems (at most 10, like a real API that stops listing). */
  throwIfAny(): void {
    if (this.problems.length > 0) throw new FedexError(400, this.problems.slice(0, 10));
  }
}

/** Parse a JSON request body; anything but a JSON object is a 400 in FedEx's envelope. */
export function parseJsonObject(raw: Buffer): Json {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new FedexError(400, {
      code: 'INVALID.INPUT.EXCEPTION',
      message: `${MESSAGES.invalidInput}: the body is not valid JSON.`,
    });
  }
  if (!isObject(parsed)) {
    throw new FedexError(400, {
      code: 'INVALID.INPUT.EXCEPTION',
      message: `${MESSAGES.invalidInput}: the body must be a JSON object.`,
    });
  }
  return parsed;
}

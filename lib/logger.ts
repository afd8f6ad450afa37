import { Context } from '@temporalio/activity';
import pino, { type Logger, type LoggerOptions } from 'pino';

/**
 * Paths that must never reach a log line. pino's redaction works on known paths, so the list
 * covers the shapes this project logs (HTTP requests/responses, config, credentials) at a few
 * nesting depths. `redactSecrets` below is the second line of defence for free-form values.
 */
export const REDACT_PATHS = [
  'authorization',
  'password',
  'secret',
  'token',
  'apiKey',
  'api_key',
  'client_secret',
  'clientSecret',
  'access_token',
  'refresh_token',
  'masterKey',
  '*.authorization',
  '*.Authorization',
  '*.password',
  '*.secret',
  '*.token',
  '*.apiKey',
  '*.api_key',
  '*.apiSecret',
  '*.client_secret',
  '*.clientSecret',
  '*.access_token',
  '*.refresh_token',
  // Every header is looked at; those whose names carry credentials are masked (see censor).
  'headers.*',
  '*.headers.*',
  'req.headers.*',
  '*.*.password',
  '*.*.secret',
  '*.*.token',
  '*.*.apiKey',
  '*.*.clientSecret',
  '*.*.client_secret',
];

const REDACTED = '[redacted]';

/**
 * Header names that carry credentials, whatever system sends them: Authorization, Cookie, any
 * "...key...", "...secret...", "...token...", "...signature...". Other headers are kept.
 */
const SECRET_HEADER = /auth|cookie|key|secret|token|signature|password/i;

/** pino's censor: every redacted path is masked, except headers whose names carry no credential. */
function censor(value: unknown, path: string[]): unknown {
  const name = path[path.length - 1] ?? '';
  const inHeaders = path[path.length - 2] === 'headers';
  return inHeaders && !SECRET_HEADER.test(name) ? value : REDACTED;
}

/** Values registered here are masked wherever they appear inside a string logged later. */
const knownSecrets = new Set<string>();

/** Register a secret value (a decrypted credential, a token) so it is masked in every log line. */
export function registerSecret(value: string | undefined | null): void {
  if (value && value.length >= 6) knownSecrets.add(value);
}

/** Replace every registered secret inside `text` with a marker. */
export function redactSecrets(text: string): string {
  let out = text;
  for (const s of knownSecrets) {
    if (out.includes(s)) out = out.split(s).join(REDACTED);
  }
  return out;
}

/**
 * Inside an activity, every line names the workflow and the activity it concerns (Temporal keeps the
 * activity context in async local storage, so this reaches the connectors' own log lines too).
 */
export function temporalIds(): Record<string, string> {
  try {
    const info = Context.current().info;
    return {
      ...(info.workflowExecution
        ? { workflowId: info.workflowExecution.workflowId, runId: info.workflowExecution.runId }
        : {}),
      activityId: info.activityId,
      activityType: info.activityType,
    };
  } catch {
    return {};
  }
}

export function createLogger(options: LoggerOptions & { destination?: pino.DestinationStream } = {}): Logger {
  const { destination, ...rest } = options;
  const opts: LoggerOptions = {
    level: process.env.LOG_LEVEL ?? 'info',
    base: { app: 'ml-connector' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT_PATHS, censor },
    formatters: { level: (label) => ({ level: label }) },
    mixin: temporalIds,
    hooks: {
      // Mask known secret values in the message text too, whatever path they arrive by.
      logMethod(args, method) {
        if (knownSecrets.size > 0) {
          for (let i = 0; i < args.length; i++) {
            const a = args[i];
            if (typeof a === 'string') args[i] = redactSecrets(a);
          }
        }
        return method.apply(this, args as Parameters<typeof method>);
      },
    },
    ...rest,
  };
  return destination ? pino(opts, destination) : pino(opts);
}

let root: Logger | undefined;

/** The process-wide logger. Components take a child: `logger().child({ component: 'order-activities' })`. */
export function logger(): Logger {
  root ??= createLogger();
  return root;
}

/** Replace the process-wide logger (tests capture output through a custom destination). */
export function setLogger(l: Logger): void {
  root = l;
}

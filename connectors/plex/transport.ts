// Plex Connect's HTTP transport on the kit's call path (connectors/kit/http.ts). The kit takes the
// shared rate-limit slot, waits out 429s within the activity attempt's time, sends a read again after
// a 5xx or no answer, refuses a late write, stops every wait on cancellation and writes one audit
// entry per request. This file says only what is Plex's: the key and tenant headers, the limiter
// key, Plex's error bodies (errors.ts, the `refine` hook), the record shapes a list or a read must
// have (schemas.ts), the audit row's shape, and the wording of the few errors the kit words itself.

import type { Logger } from 'pino';
import { z } from 'zod';
import { HttpTransportError } from '../../lib/http';
import type { RateLimiter } from '../../lib/ratelimit';
import { HttpCaller, type CallAttempt, type CallAuditEntry, type Method } from '../kit/http';
import { auditRow, writeAuditRow, type AuditRow } from '../kit/audit';
import {
  PlexAuthError,
  PlexError,
  PlexForbiddenError,
  PlexNotFoundError,
  PlexRateLimitError,
  PlexUnavailableError,
  PlexValidationError,
  plexErrorFromResponse,
  type PlexScope,
} from './errors';
import { recordProblem, type PlexRecord } from './schemas';

/** One row for the audit log: what was called and how it went. Never bodies, never headers. */
export type PlexAuditEntry = AuditRow<'plex'>;

export type PlexAuditSink = (entry: PlexAuditEntry) => Promise<void>;

/** What the call path needs of a connection; PlexClientOptions adds what the client itself uses. */
export interface PlexTransportOptions {
  /** Connection name from the config. */
  connection: string;
  /** https://connect.plex.com, https://test.connect.plex.com, or a simulator. */
  baseUrl: string;
  /** Developer Portal Consumer Key, sent as X-Plex-Connect-Api-Key. */
  apiKey: string;
  /** Tenant UUID (X-Plex-Connect-Tenant-Id), to act on another tenant than the key's default. */
  tenantId?: string;
  /** PCN (X-Plex-Connect-Customer-Id), the alternative to tenantId. */
  customerId?: string;
  limiter: RateLimiter;
  /** The shared limiter's key for the API key (plexLimitKey). */
  limitKey: string;
  timeoutMs: number;
  /**
   * Reads give up sooner (default `timeoutMs`): a read that gets no answer is sent again at once,
   * so a short wait costs less than a long one, and a write's answer is worth waiting for.
   */
  readTimeoutMs?: number;
  log: Logger;
  audit?: PlexAuditSink;
  /** 429s answered by waiting and sending again before the error surfaces (default 2). */
  rateLimitRetries?: number;
  /** A 429 asking for a longer wait than this surfaces at once (default 65 s). */
  maxInlineWaitMs?: number;
  /**
   * Inside an activity: the time its attempt has left, less a margin (lib/temporal/attempt.ts). A
   * 429 wait that would outlast it surfaces at once instead, and once it is used up no PUT or POST
   * is sent (reads still are): Temporal is about to retry the attempt, and the retry writes.
   */
  waitBudgetMs?: () => number;
  /**
   * Inside an activity: its cancellation (the workflow, the server or worker shutdown). A wait for
   * the rate limiter, after a 429 or before a read is sent again stops when it fires, and nothing
   * more is sent.
   */
  signal?: AbortSignal;
  now?: () => Date;
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
  fetch?: typeof fetch;
}

/** Query pairs in order; a list parameter repeats its key. */
export type Query = Array<[string, string]>;

/** Re-sends of a read that met a 5xx, a dropped connection or a timeout. */
const TRANSIENT_READ_RETRIES = 2;

export class PlexTransport {
  private readonly http: HttpCaller;

  constructor(private readonly opts: PlexTransportOptions) {
    const now = () => (opts.now ? opts.now().getTime() : Date.now());
    const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
    this.http = new HttpCaller({
      system: 'Plex',
      baseUrl: opts.baseUrl,
      auth: {
        headers: () => ({
          'X-Plex-Connect-Api-Key': opts.apiKey,
          ...(opts.tenantId ? { 'X-Plex-Connect-Tenant-Id': opts.tenantId } : {}),
          ...(opts.customerId ? { 'X-Plex-Connect-Customer-Id': opts.customerId } : {}),
        }),
        what: "the connection's Consumer Key (or its tenant id / PCN)",
      },
      limiter: opts.limiter,
      limitKey: opts.limitKey,
      ...(opts.audit ? { audit: (e: CallAuditEntry) => this.audit(e) } : {}),
      log: opts.log,
      timeoutMs: opts.timeoutMs,
      // Reads give up sooner: an unanswered read is sent again at once, a write's answer is worth waiting for.
      timeoutsMs: { GET: opts.readTimeoutMs ?? opts.timeoutMs },
      errors: {
        auth: PlexAuthError,
        permission: PlexForbiddenError,
        not_found: PlexNotFoundError,
        validation: PlexValidationError,
        conflict: PlexValidationError,
        rate_limited: PlexRateLimitError,
        unavailable: PlexUnavailableError,
      },
      // Plex's own reading of every non-2xx answer: its error body, the product to subscribe, the
      // wait after a 429 (Retry-After, else a whole minute: Plex documents no rate-limit headers).
      refine: (answer, ctx) =>
        plexErrorFromResponse(answer, {
          operation: ctx.operation,
          method: ctx.method,
          path: ctx.path,
          scope: this.scope,
          nowMs: now(),
          ...(opts.random ? { random: opts.random } : {}),
          ...(ctx.subject !== undefined ? { subject: ctx.subject } : {}),
        }),
      maxRateLimitWaits: opts.rateLimitRetries ?? 2,
      maxInlineWaitMs: opts.maxInlineWaitMs ?? 65_000,
      transientResends: TRANSIENT_READ_RETRIES,
      backoffMs: 150,
      clock: { now, sleep },
      ...(opts.random ? { random: opts.random } : {}),
      ...(opts.fetch ? { fetch: opts.fetch } : {}),
    });
  }

  get scope(): PlexScope {
    return { tenantId: this.opts.tenantId, customerId: this.opts.customerId };
  }

  /** A GET answering a list of records: every item must be a record of `shape` (schemas.ts). */
  async list<T>(shape: PlexRecord, operation: string, path: string, query: Query, subject?: string) {
    const body = await this.send(operation, 'GET', path, query, { subject });
    if (!Array.isArray(body)) {
      throw new PlexUnavailableError(`Plex ${operation}: ${path} did not answer with a JSON array`);
    }
    for (let i = 0; i < body.length; i++) {
      const problem = recordProblem(body[i], shape);
      if (problem) {
        throw new PlexUnavailableError(
          `Plex ${operation}: ${path} answered a list whose item ${i} ${problem}`,
        );
      }
    }
    return body as T[];
  }

  /** A GET of one record of `shape`. */
  async get<T>(shape: PlexRecord, operation: string, path: string, subject: string): Promise<T> {
    return this.record<T>(shape, operation, path, await this.send(operation, 'GET', path, [], { subject }));
  }

  /** A PUT or POST; its answer as Plex sent it (undefined for an empty one). */
  async write(
    operation: string,
    method: Exclude<Method, 'GET'>,
    path: string,
    json: unknown,
    subject?: string,
  ) {
    return this.send(operation, method, path, [], { json, subject, allowEmpty: true });
  }

  /** One record of `shape`, or PlexUnavailableError saying what Plex sent instead. */
  record<T>(shape: PlexRecord, operation: string, path: string, body: unknown): T {
    if (!body || typeof body !== 'object' || Array.isArray(body)) {
      throw new PlexUnavailableError(`Plex ${operation}: ${path} did not answer with a JSON object`);
    }
    const problem = recordProblem(body, shape);
    if (problem)
      throw new PlexUnavailableError(`Plex ${operation}: ${path} answered a ${shape.what} that ${problem}`);
    return body as T;
  }

  /** An audit row of the connector's own (not a request): `plex.recordShippedQuantities`. */
  async note(entry: Omit<PlexAuditEntry, 'actor' | 'system' | 'connection'>): Promise<void> {
    await writeAuditRow(this.opts.audit, this.auditSource, entry, this.opts.log);
  }

  private get auditSource() {
    return { system: 'plex' as const, connection: this.opts.connection, actor: 'plex-client' };
  }

  private async send(
    operation: string,
    method: Method,
    path: string,
    query: Query,
    options: { json?: unknown; subject?: string; allowEmpty?: boolean },
  ): Promise<unknown> {
    const { waitBudgetMs, signal } = this.opts;
    const attempt: CallAttempt = { ...(waitBudgetMs ? { waitBudgetMs } : {}), ...(signal ? { signal } : {}) };
    const qs = query.length ? `?${new URLSearchParams(query).toString()}` : '';
    let body: unknown;
    try {
      body = await this.http.call({
        operation,
        method,
        path: `${path}${qs}`,
        pathTemplate: path,
        ...(options.json !== undefined ? { json: options.json } : {}),
        answer: z.unknown(),
        attempt,
        ...(options.subject !== undefined ? { subject: options.subject } : {}),
      });
    } catch (err) {
      const e = this.reworded(err, operation, method);
      // Not sent, so the kit has no audit row for it; the trail still shows the refused write.
      if (e instanceof PlexUnavailableError && e !== err && !e.transport && e.status === undefined) {
        await this.note({
          action: `plex.${operation}`,
          outcome: 'error',
          httpMethod: method,
          httpPath: path,
          durationMs: 0,
          details: { error: e.message, type: e.type },
        });
      }
      throw e;
    }
    if (body === undefined && !options.allowEmpty) {
      throw new PlexUnavailableError(`Plex ${operation}: answer is not JSON (an empty body)`);
    }
    return body;
  }

  /**
   * The kit words a few errors itself; this puts them as this connector always has (operators'
   * runbooks and tests read them): a request that got no answer names the transport's own words
   * (`GET /path failed (timeout): ...`), a write refused late says the retry reads first, an answer
   * that is not JSON says so. Plex's own answers (refine) and shape misfits pass as they are.
   */
  private reworded(err: unknown, operation: string, method: Method): unknown {
    if (!(err instanceof PlexError)) return err;
    if (err.cause instanceof HttpTransportError) {
      return new PlexUnavailableError(
        `Plex ${operation}: ${err.cause.message}`,
        { cause: err.cause },
        err.cause.unanswered,
      );
    }
    if (
      err instanceof PlexUnavailableError &&
      err.status !== undefined &&
      /is not JSON|is empty where/.test(err.message)
    ) {
      return new PlexUnavailableError(`Plex ${operation}: answer is not JSON (HTTP ${err.status})`, {
        status: err.status,
      });
    }
    if (
      err instanceof PlexUnavailableError &&
      err.status === undefined &&
      !err.transport &&
      method !== 'GET' &&
      (this.opts.waitBudgetMs?.() ?? 1) <= 0
    ) {
      return new PlexUnavailableError(
        `Plex ${operation}: the activity attempt's start-to-close timeout is used up; not sending the ` +
          `${method}: the retry reads what Plex holds first`,
      );
    }
    return err;
  }

  private async audit(e: CallAuditEntry): Promise<void> {
    // The kit logs and swallows a failing sink.
    await this.opts.audit?.(auditRow(e, this.auditSource));
  }
}

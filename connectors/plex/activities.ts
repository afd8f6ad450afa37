// Temporal activities for Plex: thin wrappers over PlexClient. They add the audit trail (one entry
// per Plex call, tagged with the workflow and order) and turn Plex's typed errors into
// ApplicationFailures: permission, auth and validation faults are final and carry the operator's
// message; 429 retries after Plex's wait; outages retry under the workflow's retry policy.

import { Context } from '@temporalio/activity';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { FulfilmentShipment } from '../../domain/fulfilment';
import type { Address } from '../../domain/model';
import type { ErpOrder, ReadyOrderRef, StatusWriteBack, TrackingWriteBack } from '../../domain/order';
import type { AuditRepo } from '../../lib/db/repos';
import type { DetectOptions, ErpPort } from '../ports';
import type { Database } from '../../lib/db/types';
import { activityAttempt } from '../../lib/temporal/attempt';
import { PostgresSlidingLimiter, type RateLimiter } from '../../lib/ratelimit';
import { PlexClient, plexRateLimit, type WriteBackResult } from './client';
import { PlexError } from './errors';
import { DEFAULT_READY_STATE, type PlexReadyState, type PlexWriteBackConfig } from './mapping';
import { connectorFailure } from '../../activities/failure';

/** Per-connection choices: what "ready to ship" means and how write-backs map. */
export interface PlexConnectionSettings {
  readyState?: PlexReadyState;
  writeBack?: PlexWriteBackConfig;
}

export interface PlexActivityDeps {
  clients: (connection: string) => PlexClient;
  audit: AuditRepo;
  log: Logger;
  /** Defaults: order status "Open", no carrier or status mapping. */
  settings?: (connection: string) => PlexConnectionSettings;
}

function workflowId(): string | undefined {
  try {
    return Context.current().info.workflowExecution?.workflowId;
  } catch {
    return undefined;
  }
}

/** The audit rows one activity has handed over, committed or on their way. */
type AuditWrites = Array<Promise<void>>;

export function createPlexActivities(deps: PlexActivityDeps) {
  const settings = (connection: string) => deps.settings?.(connection) ?? {};

  /**
   * The connection's client, auditing every call into the audit table with this run's ids. Built
   * when the activity starts, which is where its start-to-close time runs from. The audit rows are
   * handed to the audit repo without holding up the next call (they go out in its next batch) and
   * collected in `rows`, which run() waits for before the activity answers: an activity that
   * completed has its whole audit trail committed.
   */
  function client(connection: string, rows: AuditWrites, orderKey?: string): PlexClient {
    const wf = workflowId();
    const attempt = activityAttempt(Date.now());
    return deps.clients(connection).withAudit(
      async (entry) => {
        const row = { ...entry, workflowId: wf ?? null, orderKey: orderKey ?? null };
        rows.push(
          deps.audit.append(row).then(
            () => undefined,
            // A broken audit sink must not change the call's own outcome (as in PlexClient).
            (err: Error) => deps.log.warn({ err: err.message, action: entry.action }, 'audit write failed'),
          ),
        );
      },
      // The attempt's time (no write once it is used up) and its cancellation (waits stop).
      { waitBudgetMs: attempt.waitBudgetMs, ...(attempt.signal ? { signal: attempt.signal } : {}) },
    );
  }

  async function run<T>(
    action: string,
    connection: string,
    fn: (rows: AuditWrites) => Promise<T>,
  ): Promise<T> {
    const rows: AuditWrites = [];
    try {
      return await fn(rows);
    } catch (err) {
      if (err instanceof PlexError) {
        deps.log.warn({ action, connection, type: err.type, retryable: err.retryable }, err.message);
      }
      throw connectorFailure(err);
    } finally {
      await Promise.all(rows);
    }
  }

  return {
    /** Orders ready to ship whose state changed in [since, until] (the caller's watermark minus overlap). */
    async plexDetectReadyOrders(
      input: {
        connection: string;
        since: Date | string;
        until: Date | string;
      } & DetectOptions,
    ): Promise<ReadyOrderRef[]> {
      return run('plexDetectReadyOrders', input.connection, (rows) =>
        client(input.connection, rows).detectReadyOrders({
          since: input.since,
          until: input.until,
          ...(input.known ? { known: input.known } : {}),
          ...(input.onReady ? { onReady: input.onReady } : {}),
          readyState: settings(input.connection).readyState ?? DEFAULT_READY_STATE,
        }),
      );
    },

    /** The order with lines, quantities, customer, ship-to and weights, as the canonical ErpOrder. */
    async plexLoadOrder(input: { connection: string; orderKey: string; fresh?: boolean }): Promise<ErpOrder> {
      return run('plexLoadOrder', input.connection, (rows) =>
        client(input.connection, rows, input.orderKey).loadOrder(input.orderKey, {
          ...(input.fresh ? { fresh: true } : {}),
        }),
      );
    },

    /** Tracking number, carrier, ship date and freight onto the order's customer shipper. */
    async plexWriteTracking(input: {
      connection: string;
      orderKey: string;
      writeBackKeys: Record<string, string>;
      tracking: TrackingWriteBack;
    }): Promise<WriteBackResult> {
      return run('plexWriteTracking', input.connection, (rows) =>
        client(input.connection, rows, input.orderKey).writeTracking(
          input.writeBackKeys,
          input.tracking,
          settings(input.connection).writeBack,
        ),
      );
    },

    /** A lifecycle change (delivery progress, parking, cancellation) onto the customer shipper. */
    async plexWriteStatus(input: {
      connection: string;
      orderKey: string;
      writeBackKeys: Record<string, string>;
      status: StatusWriteBack;
    }): Promise<WriteBackResult> {
      return run('plexWriteStatus', input.connection, (rows) =>
        client(input.connection, rows, input.orderKey).writeStatus(
          input.writeBackKeys,
          input.status,
          settings(input.connection).writeBack,
        ),
      );
    },

    /**
     * A warehouse shipment's quantities out of Plex stock, once per shipmentId (Plex keeps it as
     * the inventory shipment's externalShipmentCode; a second call finds it shipped and stops).
     */
    async plexRecordShipped(input: {
      connection: string;
      orderKey: string;
      shipment: FulfilmentShipment;
    }): Promise<{ applied: boolean }> {
      return run('plexRecordShipped', input.connection, async (rows) => {
        const result = await client(input.connection, rows, input.orderKey).recordShippedQuantities({
          externalShipmentCode: input.shipment.shipmentId,
          items: input.shipment.items.map((i) => ({ partNumber: i.sku, quantity: i.quantity })),
        });
        return { applied: result.applied };
      });
    },

    /** The ship-to addresses among `refs` edited in [since, until], with their content now. */
    async plexShipToChanges(input: {
      connection: string;
      since: Date;
      until: Date;
      refs: string[];
    }): Promise<Map<string, Address>> {
      return run('plexShipToChanges', input.connection, (rows) =>
        client(input.connection, rows).shipToChanges(input),
      );
    },

    /** On-hand stock per part number (SKU). */
    async plexOnHand(input: { connection: string; skus: string[] }): Promise<Record<string, number>> {
      return run('plexOnHand', input.connection, (rows) =>
        client(input.connection, rows).onHandByPartNumber(input.skus),
      );
    },
  };
}

export type PlexActivities = ReturnType<typeof createPlexActivities>;

/**
 * The Plex activities for one connection in the shape the order lifecycle's ERP port expects
 * (detect, load, write tracking, write status).
 */
export function plexErpPort(activities: PlexActivities, connection: string): ErpPort {
  return {
    capabilities: { warehouse: true, stock: true, stockWriteBack: true, shipToChanges: true },
    detectReadyOrders: (window: { since: Date; until: Date }, opts?: DetectOptions) =>
      activities.plexDetectReadyOrders({ connection, ...window, ...opts }),
    loadOrder: (orderKey: string, opts?: { fresh?: boolean }) =>
      activities.plexLoadOrder({ connection, orderKey, ...(opts?.fresh ? { fresh: true } : {}) }),
    writeTracking: async (order, tracking) => {
      const { written } = await activities.plexWriteTracking({
        connection,
        orderKey: order.orderKey,
        writeBackKeys: order.writeBackKeys,
        tracking,
      });
      return { written };
    },
    writeStatus: async (order, status) => {
      const { written } = await activities.plexWriteStatus({
        connection,
        orderKey: order.orderKey,
        writeBackKeys: order.writeBackKeys,
        status,
      });
      return { written };
    },
    recordShipped: (order, shipment) =>
      activities.plexRecordShipped({ connection, orderKey: order.orderKey, shipment }),
    onHand: (skus: string[]) => activities.plexOnHand({ connection, skus }),
    shipToChanges: (q: { since: Date; until: Date; refs: string[] }) =>
      activities.plexShipToChanges({ connection, ...q }),
  };
}

/** What a Plex connection needs from the config and the vault. */
export interface PlexClientSettings {
  baseUrl: string;
  apiKey: string;
  tenantId?: string;
  /** PCN, sent as X-Plex-Connect-Customer-Id. */
  customerId?: string;
}

export interface PlexClientFactoryOptions {
  db: Kysely<Database>;
  /** Config `limits.plex.callsPerMinute` (Plex documents 200). */
  callsPerMinute: number;
  /** The resolved settings of a Plex connection; throws for an unknown or non-Plex one. */
  settings: (connection: string) => PlexClientSettings;
  log: Logger;
  /** Audit for calls made outside activities (the CLI); activities add their own sink. */
  audit?: AuditRepo;
  /** Shared limiter; default a PostgresSlidingLimiter on `db`. */
  limiter?: RateLimiter;
  timeoutMs?: number;
  /** Reads (GET) give up after this long, writes after `timeoutMs` (defaults 15 s and 30 s). */
  readTimeoutMs?: number;
}

/**
 * One PlexClient per connection (cached), all sharing one limiter across worker processes: a
 * PostgresSlidingLimiter keeps every 60 s span within the per-minute figure whatever Plex's alignment.
 */
export function createPlexClientFactory(opts: PlexClientFactoryOptions): (connection: string) => PlexClient {
  const limit = plexRateLimit(opts.callsPerMinute);
  const limiter = opts.limiter ?? new PostgresSlidingLimiter(opts.db, () => limit);
  const clients = new Map<string, PlexClient>();
  return (connection) => {
    const existing = clients.get(connection);
    if (existing) return existing;
    const client = new PlexClient({
      connection,
      ...opts.settings(connection),
      limiter,
      timeoutMs: opts.timeoutMs ?? 30_000,
      readTimeoutMs: opts.readTimeoutMs ?? 15_000,
      log: opts.log,
      ...(opts.audit
        ? {
            audit: async (entry) => {
              await opts.audit!.append(entry);
            },
          }
        : {}),
    });
    clients.set(connection, client);
    return client;
  };
}

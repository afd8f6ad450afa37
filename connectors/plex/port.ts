// The ERP port of a Plex connection: what the order lifecycle asks of Plex, each call made through
// the connection's PlexClient inside the order activity that runs it. One entry in the audit table
// per Plex call, tagged with the workflow and order, committed before the activity answers; Plex's
// typed errors cross into Temporal by activities/failure.ts (their kind decides retries).

import { Context } from '@temporalio/activity';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { FulfilmentShipment } from '../../domain/fulfilment';
import type { Address } from '../../domain/model';
import type { AuditRepo } from '../../lib/db/repos';
import type { DetectOptions, ErpPort } from '../ports';
import type { Database } from '../../lib/db/types';
import { activityAttempt } from '../../lib/temporal/attempt';
import { PostgresSlidingLimiter, type RateLimiter } from '../../lib/ratelimit';
import { PlexClient, plexRateLimit } from './client';
import { PlexError } from './errors';
import { DEFAULT_READY_STATE, type PlexReadyState, type PlexWriteBackConfig } from './mapping';
import { connectorFailure } from '../../activities/failure';

/** Per-connection choices: what "ready to ship" means and how write-backs map. */
export interface PlexConnectionSettings {
  readyState?: PlexReadyState;
  writeBack?: PlexWriteBackConfig;
}

export interface PlexPortDeps {
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

/** What Plex lets the order lifecycle do beyond detect, load and write back. */
const CAPABILITIES = { warehouse: true, stock: true, stockWriteBack: true, shipToChanges: true } as const;

/** The ERP port of one Plex connection (connectors/ports.ts). */
export function plexErpPort(deps: PlexPortDeps, connection: string): ErpPort {
  const settings = () => deps.settings?.(connection) ?? {};

  /**
   * One port call: the connection's client with this activity attempt's time and cancellation (no
   * write once the time is used up; waits stop when cancelled), auditing into the audit table with
   * this run's ids. The audit rows go to the audit repo without holding up the next call (they
   * travel in its next batch); the call answers only once they are committed, so an activity that
   * completed has its whole audit trail.
   */
  async function call<T>(action: string, orderKey: string | undefined, fn: (c: PlexClient) => Promise<T>) {
    const rows: Array<Promise<void>> = [];
    const wf = workflowId();
    const attempt = activityAttempt(Date.now());
    const client = deps.clients(connection).withAudit(
      async (entry) => {
        const row = { ...entry, workflowId: wf ?? null, orderKey: orderKey ?? null };
        rows.push(
          deps.audit.append(row).then(
            () => undefined,
            // A broken audit sink must not change the call's own outcome.
            (err: Error) => deps.log.warn({ err: err.message, action: entry.action }, 'audit write failed'),
          ),
        );
      },
      { waitBudgetMs: attempt.waitBudgetMs, ...(attempt.signal ? { signal: attempt.signal } : {}) },
    );
    try {
      return await fn(client);
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
    capabilities: CAPABILITIES,
    /** Orders ready to ship whose state changed in the window (the caller's watermark minus overlap). */
    detectReadyOrders: (window: { since: Date; until: Date }, opts?: DetectOptions) =>
      call('detectReadyOrders', undefined, (c) =>
        c.detectReadyOrders({
          ...window,
          ...(opts?.known ? { known: opts.known } : {}),
          ...(opts?.onReady ? { onReady: opts.onReady } : {}),
          readyState: settings().readyState ?? DEFAULT_READY_STATE,
        }),
      ),
    /** The order with lines, quantities, customer, ship-to and weights, as the canonical ErpOrder. */
    loadOrder: (orderKey, opts) =>
      call('loadOrder', orderKey, (c) => c.loadOrder(orderKey, opts?.fresh ? { fresh: true } : {})),
    /** Tracking number, carrier, ship date and freight onto the order's customer shipper. */
    writeTracking: async (order, tracking) => {
      const { written } = await call('writeTracking', order.orderKey, (c) =>
        c.writeTracking(order.writeBackKeys, tracking, settings().writeBack),
      );
      return { written };
    },
    /** A lifecycle change (delivery progress, parking, cancellation) onto the customer shipper. */
    writeStatus: async (order, status) => {
      const { written } = await call('writeStatus', order.orderKey, (c) =>
        c.writeStatus(order.writeBackKeys, status, settings().writeBack),
      );
      return { written };
    },
    /**
     * A warehouse shipment's quantities out of Plex stock, once per shipmentId (Plex keeps it as
     * the inventory shipment's externalShipmentCode; a second call finds it shipped and stops).
     */
    recordShipped: (order, shipment: FulfilmentShipment) =>
      call('recordShipped', order.orderKey, async (c) => {
        const result = await c.recordShippedQuantities({
          externalShipmentCode: shipment.shipmentId,
          items: shipment.items.map((i) => ({ partNumber: i.sku, quantity: i.quantity })),
        });
        return { applied: result.applied };
      }),
    /** On-hand stock per part number (SKU). */
    onHand: (skus: string[]) => call('onHand', undefined, (c) => c.onHandByPartNumber(skus)),
    /** The ship-to addresses among `refs` edited in [since, until], with their content now. */
    shipToChanges: (q: { since: Date; until: Date; refs: string[] }): Promise<Map<string, Address>> =>
      call('shipToChanges', undefined, (c) => c.shipToChanges(q)),
  };
}

/** What a Plex connection needs from the config and the vault. */
export interface PlexClientSettings {
  baseUrl: string;
  apiKey: string;
  tenantId?: string;
  /** PCN, sent as X-Plex-Connect-Customer-Id. */
  customerId?: string;
  /** The country all the connection's mappings ship from: orders to it get no prices read. */
  domesticCountry?: string;
  /** Currency of a price record that names none. */
  currency?: string;
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

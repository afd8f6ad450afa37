// The carrier port of a FedEx connection: FedexClient plus what only the worker knows about (the
// database's shipment intents, labels and tracking events). Each call runs in an order activity;
// FedEx's typed errors cross into Temporal by activities/failure.ts with their kind's retry behaviour.

import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type {
  CarrierShipment,
  LabelFormat,
  ShipmentLabel,
  ShipmentResult,
  TrackingError,
  TrackingUpdate,
} from '../../domain/model';
import type { Repos } from '../../lib/db/repos';
import type { StoredDocument } from '../../lib/db/repos/shipments';
import type { Database, Shipment } from '../../lib/db/types';
import { defaultLease, PostgresSlidingLimiter, type RateLimit, type RateLimiter } from '../../lib/ratelimit';
import { activityAttempt } from '../../lib/temporal/attempt';
import type { Vault } from '../../lib/vault';
import { DbTokenStore } from '../kit/tokens';
import { FedexClient } from './client';
import { FedexError } from './errors';
import { fedexOrderReference, fedexServiceType } from './mapping';
import { fedexEventKey } from './webhook';
import { connectorFailure } from '../../activities/failure';
import type { CarrierPort } from '../ports';

export interface FedexCarrierDeps {
  /** The FedEx client of a carrier connection (see createFedexClientFactory). */
  clients: (connection: string) => FedexClient;
  repos: Repos;
  log: Logger;
}

export type FedexCreateShipmentInput = Parameters<CarrierPort['createShipment']>[0];

/**
 * ShipmentResult, except that `label` is null when an earlier attempt's shipment was found at FedEx
 * by reference but its answer (with the label) never reached us: FedEx's REST API cannot reprint a
 * label, so an operator reprints it in FedEx Ship Manager with the tracking number.
 */
export interface FedexShipmentResult extends Omit<ShipmentResult, 'label'> {
  label: ShipmentLabel | null;
  /** True when the shipment was created by an earlier attempt and found by reference. */
  adopted: boolean;
  warnings: string[];
}

/** The FedEx port: the carrier port, with FedEx's fuller answers. */
export interface FedexCarrierPort extends CarrierPort {
  createShipment(input: FedexCreateShipmentInput): Promise<FedexShipmentResult>;
  /**
   * Latest status of each number (batches of 30). `only`: 'all' (default) every update, stored
   * once either way; 'changed' only those that moved a shipment.
   */
  track(
    trackingNumbers: string[],
    opts?: { only?: 'changed' | 'all' },
  ): Promise<{ updates: TrackingUpdate[]; errors: TrackingError[] }>;
  cancelShipment(idempotencyKey: string): Promise<{ cancelled: boolean; message: string }>;
}

/** A tracking update after it was stored, with the shipment (and so the order workflow) it belongs to. */
export interface AppliedTrackingUpdate {
  update: TrackingUpdate;
  shipment: { id: string; workflowId: string; erpConnection: string; orderKey: string } | null;
  /** The shipment's tracking status changed (new scan, newer than the stored one, different status). */
  changed: boolean;
}

const CARRIER = 'fedex';

/**
 * Store tracking updates (once per scan, whichever path saw it) and move each shipment's tracking
 * status forward. Updates are applied oldest scan first and a scan older than the stored status is
 * kept as history only, so out-of-order pushes never move a shipment backwards.
 */
export async function applyTrackingUpdates(
  repos: Pick<Repos, 'shipments' | 'trackingEvents'>,
  updates: TrackingUpdate[],
  source: 'poll' | 'webhook',
): Promise<AppliedTrackingUpdate[]> {
  const applied: AppliedTrackingUpdate[] = [];
  const ordered = [...updates].sort((a, b) => a.eventTime.localeCompare(b.eventTime));
  for (const update of ordered) {
    const row = await repos.shipments.findByTrackingNumber(update.trackingNumber);
    const eventTime = new Date(update.eventTime);
    const inserted = await repos.trackingEvents.insertOnce({
      dedupKey: fedexEventKey(update),
      carrier: CARRIER,
      trackingNumber: update.trackingNumber,
      shipmentId: row?.id ?? null,
      status: update.status,
      rawCode: update.rawCode,
      description: update.description,
      location: update.location ?? null,
      eventTime,
      estimatedDelivery: update.estimatedDelivery ? new Date(update.estimatedDelivery) : null,
      source,
    });
    let changed = false;
    if (inserted && row) {
      const moved = await repos.shipments.updateTrackingStatus(row.id, update.status, eventTime);
      changed = moved && row.tracking_status !== update.status;
    }
    applied.push({
      update,
      shipment: row
        ? {
            id: row.id,
            workflowId: row.workflow_id,
            erpConnection: row.erp_connection,
            orderKey: row.order_key,
          }
        : null,
      changed,
    });
  }
  return applied;
}

function storedLabel(row: Shipment): ShipmentLabel | null {
  const format = (row.label_format ?? 'PDF') as LabelFormat;
  if (row.label_ref) return { format, ref: row.label_ref };
  if (row.label_url && row.label_url_expires_at) {
    return { format, url: row.label_url, expiresAt: row.label_url_expires_at.toISOString() };
  }
  return null;
}

function resultFromRow(row: Shipment): FedexShipmentResult {
  const trackingNumbers = Array.isArray(row.tracking_numbers) ? (row.tracking_numbers as string[]) : [];
  const master = row.master_tracking_number ?? '';
  return {
    carrierShipmentId: row.carrier_shipment_id ?? master,
    masterTrackingNumber: master,
    pieceTrackingNumbers: trackingNumbers.length > 0 ? trackingNumbers : [master],
    label: storedLabel(row),
    ...(row.cost_amount !== null && row.cost_currency
      ? { cost: { amount: Number(row.cost_amount), currency: row.cost_currency } }
      : {}),
    serviceType: row.service_type ?? '',
    adopted: false,
    warnings: [],
  };
}

/** The carrier port of one FedEx connection (connectors/ports.ts). */
export function fedexCarrierPort(deps: FedexCarrierDeps, connection: string): FedexCarrierPort {
  const { repos } = deps;
  const log = deps.log.child({ component: 'fedex-carrier', connection });

  /**
   * The connection's client inside this activity attempt, `startedAt` being when the activity began
   * (its start-to-close runs from there): a create or cancel is not sent once the attempt's time is
   * used up, and a wait for another process's token heartbeats and stops on cancellation.
   */
  function client(startedAt: number): FedexClient {
    return deps.clients(connection).withAttempt(activityAttempt(startedAt));
  }

  async function audit(
    action: string,
    outcome: string,
    input: { workflowId?: string; orderKey?: string; key?: string },
    details: Record<string, unknown>,
  ): Promise<void> {
    await repos.audit.append({
      actor: 'fedex-activities',
      action,
      outcome,
      connection,
      system: CARRIER,
      workflowId: input.workflowId ?? null,
      orderKey: input.orderKey ?? null,
      correlationId: input.key ?? null,
      details,
    });
  }

  /**
   * The shipment is recorded as created; label bytes, and the commercial invoice FedEx printed with
   * them, go to the labels table in the same statement and the result carries only the reference
   * (or FedEx's link). An invoice FedEx gave only as a link is named in the warnings.
   */
  async function complete(
    input: FedexCreateShipmentInput,
    shipment: CarrierShipment,
  ): Promise<FedexShipmentResult> {
    const created = {
      carrierShipmentId: shipment.carrierShipmentId,
      masterTrackingNumber: shipment.masterTrackingNumber,
      trackingNumbers: shipment.pieceTrackingNumbers,
      costAmount: shipment.cost?.amount ?? null,
      costCurrency: shipment.cost?.currency ?? null,
    };
    const key = input.request.idempotencyKey;
    const others: StoredDocument[] = [];
    const documentWarnings: string[] = [];
    for (const d of shipment.documents ?? []) {
      if ('base64' in d) {
        others.push({ kind: d.kind, format: d.format, content: Buffer.from(d.base64, 'base64') });
      } else {
        documentWarnings.push(
          `FedEx's commercial invoice is a link valid until ${d.expiresAt}: ${d.url} (print it before then)`,
        );
      }
    }
    let label: ShipmentLabel;
    if ('url' in shipment.label) {
      label = shipment.label;
      const linked = { ...created, labelUrl: label.url, labelUrlExpiresAt: new Date(label.expiresAt) };
      if (others.length > 0) {
        await repos.shipments.markCreatedWithLabels(
          key,
          linked,
          { format: label.format, documents: [] },
          others,
        );
      } else {
        await repos.shipments.markCreated(key, { ...linked, labelFormat: label.format });
      }
    } else {
      const { format, documents } = shipment.label;
      const docs = documents.map((d) => Buffer.from(d.base64, 'base64'));
      // ZPL documents concatenate into one printable job; PDFs are one per package, the first
      // being the shipment's label.
      const labelIds = await repos.shipments.markCreatedWithLabels(
        key,
        created,
        { format, documents: format === 'ZPL' ? [Buffer.concat(docs)] : docs },
        others,
      );
      label = { format, ref: labelIds[0]! };
    }
    const { warnings, label: _carrierLabel, documents: _documents, ...rest } = shipment;
    return { ...rest, label, adopted: false, warnings: [...warnings, ...documentWarnings] };
  }

  async function adopt(
    input: FedexCreateShipmentInput,
    serviceType: string,
    trackingNumber: string,
  ): Promise<FedexShipmentResult> {
    await repos.shipments.markCreated(input.request.idempotencyKey, {
      carrierShipmentId: trackingNumber,
      masterTrackingNumber: trackingNumber,
      trackingNumbers: [trackingNumber],
      labelFormat: input.request.label.format,
    });
    const warning =
      `FedEx shipment ${trackingNumber} was created by an earlier attempt whose answer was lost; ` +
      'its label is not stored (reprint it in FedEx Ship Manager)';
    log.warn({ workflowId: input.workflowId, trackingNumber }, warning);
    return {
      carrierShipmentId: trackingNumber,
      masterTrackingNumber: trackingNumber,
      pieceTrackingNumbers: [trackingNumber],
      label: null,
      serviceType,
      adopted: true,
      warnings: [warning],
    };
  }

  return {
    /**
     * Create the shipment and its label at most once per idempotency key: the intent is recorded
     * before the call; a replay returns the stored result; after an uncertain earlier attempt the
     * shipment is looked up by reference first and adopted when FedEx has it.
     */
    async createShipment(input: FedexCreateShipmentInput): Promise<FedexShipmentResult> {
      const startedAt = Date.now();
      const { request } = input;
      const key = request.idempotencyKey;
      const serviceType = fedexServiceType(request);
      const ctx = { ...input, key };
      const { shipment: intent, existed } = await repos.shipments.claimIntent({
        idempotencyKey: key,
        workflowId: input.workflowId,
        erpConnection: input.erpConnection,
        orderKey: input.orderKey,
        carrier: CARRIER,
        carrierConnection: connection,
        serviceType,
      });
      if (intent.status === 'created') {
        await audit('fedex.createShipment', 'replayed', ctx, {
          trackingNumber: intent.master_tracking_number,
        });
        return resultFromRow(intent);
      }
      if (intent.status === 'cancelled') {
        throw ApplicationFailure.create({
          message: `the shipment for ${key} was cancelled; a new one needs a new idempotency key`,
          type: 'ShipmentCancelled',
          nonRetryable: true,
        });
      }

      const fedex = client(startedAt);
      try {
        // A row that existed before this attempt (or a retried attempt) may stand for a shipment
        // FedEx created although we never heard back: find it before buying another label.
        const uncertain = existed || Context.current().info.attempt > 1;
        if (uncertain) {
          const reference = fedexOrderReference(request.references.orderNumber, serviceType);
          const found = await fedex.findShipmentByReference(reference, request.shipDate);
          if (found) {
            const result = await adopt(input, serviceType, found.trackingNumber);
            await audit('fedex.createShipment', 'adopted', ctx, { trackingNumber: found.trackingNumber });
            return result;
          }
        }
        const shipment = await fedex.createShipment(request);
        const result = await complete(input, shipment);
        await audit('fedex.createShipment', 'created', ctx, {
          trackingNumber: result.masterTrackingNumber,
          packages: result.pieceTrackingNumbers.length,
        });
        return result;
      } catch (err) {
        if (err instanceof FedexError && !err.retryable) {
          // FedEx refused the request: nothing was created. The row says why, and a later attempt
          // (after the data is fixed) goes through the lookup again.
          await repos.shipments.markFailed(key, err.message);
          await audit('fedex.createShipment', 'rejected', ctx, {
            code: err.code ?? null,
            status: err.status ?? null,
          });
        }
        throw connectorFailure(err);
      }
    },

    async track(trackingNumbers, opts = {}) {
      let tracked: { updates: TrackingUpdate[]; errors: TrackingError[] };
      try {
        tracked = await client(Date.now()).track(trackingNumbers);
      } catch (err) {
        throw connectorFailure(err);
      }
      const applied = await applyTrackingUpdates(repos, tracked.updates, 'poll');
      const kept = opts.only === 'changed' ? applied.filter((a) => a.changed) : applied;
      return { updates: kept.map((a) => a.update), errors: tracked.errors };
    },

    /** Cancel the shipment recorded under an idempotency key (before pickup FedEx cancels it). */
    async cancelShipment(idempotencyKey) {
      const startedAt = Date.now();
      const row = await repos.shipments.findByKey(idempotencyKey);
      const ctx = { key: idempotencyKey };
      if (!row) {
        throw ApplicationFailure.create({
          message: `no shipment is recorded for ${idempotencyKey}`,
          type: 'ShipmentNotFound',
          nonRetryable: true,
        });
      }
      if (row.status === 'cancelled') return { cancelled: true, message: 'already cancelled' };
      if (row.status !== 'created' || !row.master_tracking_number) {
        await repos.shipments.markCancelled(idempotencyKey);
        await audit(
          'fedex.cancelShipment',
          'cancelled',
          { ...ctx, workflowId: row.workflow_id, orderKey: row.order_key },
          {
            note: `no FedEx shipment was recorded (status ${row.status})`,
          },
        );
        return { cancelled: true, message: 'no FedEx shipment was recorded; the intent is cancelled' };
      }
      let answer: { cancelled: boolean; message: string };
      try {
        answer = await client(startedAt).cancelShipment(row.master_tracking_number);
      } catch (err) {
        throw connectorFailure(err);
      }
      if (answer.cancelled) await repos.shipments.markCancelled(idempotencyKey);
      await audit(
        'fedex.cancelShipment',
        answer.cancelled ? 'cancelled' : 'refused',
        { ...ctx, workflowId: row.workflow_id, orderKey: row.order_key },
        { trackingNumber: row.master_tracking_number, message: answer.message },
      );
      return answer;
    },
  };
}

// ---------------------------------------------------------------- building clients

/** What a FedEx client needs to know about one connection (credentials already resolved). */
export interface FedexConnectionSettings {
  baseUrl: string;
  clientId: string;
  clientSecret: string;
  accountNumber: string;
  childKey?: string;
  childSecret?: string;
}

export interface FedexLimits {
  transactionsPer10s: number;
  tokenRequestsPerMinute: number;
  lockoutMinutes: number;
}

/**
 * Limits for the FedEx limiter keys, from config `limits.fedex`; undefined for other keys. Used with
 * PostgresSlidingLimiter, which keeps every 10 s span within the figure whatever FedEx's alignment.
 */
export function fedexRateLimits(limits: Pick<FedexLimits, 'transactionsPer10s' | 'tokenRequestsPerMinute'>) {
  return (key: string): RateLimit | undefined => {
    if (key.startsWith('fedex:oauth:')) return { limit: limits.tokenRequestsPerMinute, windowMs: 60_000 };
    if (key.startsWith('fedex:api:')) {
      return {
        limit: limits.transactionsPer10s,
        windowMs: 10_000,
        lease: defaultLease(limits.transactionsPer10s),
      };
    }
    return undefined;
  };
}

export interface FedexClientFactoryOptions {
  db: Kysely<Database>;
  vault: Pick<Vault, 'encrypt' | 'decrypt'>;
  repos: Pick<Repos, 'audit'>;
  limits: FedexLimits;
  /** The resolved settings of a FedEx connection; throws for an unknown or non-FedEx one. */
  settings: (connection: string) => FedexConnectionSettings;
  log: Logger;
  /** Shared limiter; default a PostgresSlidingLimiter on `db` with fedexRateLimits. */
  limiter?: RateLimiter;
  timeoutMs?: number;
  now?: () => Date;
}

/**
 * One FedexClient per connection (cached): tokens in the database (the kit's DbTokenStore), limits across
 * processes, and an audit row per external call.
 */
export function createFedexClientFactory(
  opts: FedexClientFactoryOptions,
): (connection: string) => FedexClient {
  const limitFor = fedexRateLimits(opts.limits);
  const limiter =
    opts.limiter ??
    new PostgresSlidingLimiter(opts.db, (key) => {
      const limit = limitFor(key);
      if (!limit) throw new RangeError(`no FedEx rate limit for key ${key}`);
      return limit;
    });
  const tokenStore = new DbTokenStore({ db: opts.db, vault: opts.vault, now: opts.now, log: opts.log });
  const clients = new Map<string, FedexClient>();
  return (connection) => {
    const existing = clients.get(connection);
    if (existing) return existing;
    const s = opts.settings(connection);
    const client = new FedexClient({
      connection,
      ...s,
      tokenStore,
      limiter,
      timeoutMs: opts.timeoutMs ?? 30_000,
      log: opts.log,
      authLockoutMs: opts.limits.lockoutMinutes * 60_000,
      now: opts.now,
      audit: async (entry) => {
        await opts.repos.audit.append(entry);
      },
    });
    clients.set(connection, client);
    return client;
  };
}

// ---------------------------------------------------------------- demo environment

export interface FedexDemoOverride {
  baseUrl: string;
  credentials: { clientId: string; clientSecret: string };
  accountNumber: string;
}

const DEMO_VARS = [
  'FEDEX_BASE_URL',
  'FEDEX_CLIENT_ID',
  'FEDEX_CLIENT_SECRET',
  'FEDEX_ACCOUNT_NUMBER',
] as const;

/**
 * The demo's FedEx connection from the environment: all four variables, or none (undefined, and the
 * demo uses its simulator). A partial set is an error naming what is missing; values never appear
 * in errors.
 */
export function fedexDemoOverride(env: NodeJS.ProcessEnv = process.env): FedexDemoOverride | undefined {
  const present = DEMO_VARS.filter((v) => (env[v] ?? '').trim() !== '');
  if (present.length === 0) return undefined;
  const missing = DEMO_VARS.filter((v) => !present.includes(v));
  if (missing.length > 0) {
    throw new Error(
      `FedEx demo override: ${present.join(', ')} set but ${missing.join(', ')} missing ` +
        '(set all four to use a real FedEx endpoint, or none to use the simulator)',
    );
  }
  const baseUrl = env.FEDEX_BASE_URL!.trim();
  let url: URL | undefined;
  try {
    url = new URL(baseUrl);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    throw new Error('FEDEX_BASE_URL is not an http(s) URL (e.g. https://apis-sandbox.fedex.com)');
  }
  const accountNumber = env.FEDEX_ACCOUNT_NUMBER!.trim();
  if (!/^\d{9}$/.test(accountNumber)) {
    throw new Error('FEDEX_ACCOUNT_NUMBER is not a 9-digit FedEx account number');
  }
  return {
    baseUrl: baseUrl.replace(/\/+$/, ''),
    credentials: { clientId: env.FEDEX_CLIENT_ID!.trim(), clientSecret: env.FEDEX_CLIENT_SECRET!.trim() },
    accountNumber,
  };
}

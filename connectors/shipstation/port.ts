// ShipStation as the order lifecycle's warehouse (FulfilmentPort): orders go in through V1
// createorder (upsert by a key derived from the ERP order), shipments come back from V1 /shipments
// (poll) or a webhook's resource_url, and on-hand stock goes to V2 inventory. ShipStation's typed
// errors become ApplicationFailures here; the order activities (activities/orders/) call this.

import { ApplicationFailure } from '@temporalio/activity';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { FulfilmentShipment, SubmitOrderResult, WarehouseOrderPhase } from '../../domain/fulfilment';
import type { CustomsDetail } from '../../domain/customs';
import type { ErpOrder } from '../../domain/order';
import type { AuditRepo, FulfilmentRepo } from '../../lib/db/repos';
import type { Database } from '../../lib/db/types';
import { PostgresSlidingLimiter, type RateLimiter } from '../../lib/ratelimit';
import { currentAttempt } from '../../lib/temporal/attempt';
import type { FulfilmentPort, IncomingShipment, InventorySyncResult } from '../ports';
import { ShipStationClient, shipStationLimitFor, type ShipStationLimits } from './client';
import { ShipStationImmutableOrderError, isLockedOrderStatus } from './errors';
import {
  shipStationOrderKey,
  shipStationOrderState,
  shipStationOrderVersion,
  toShipStationOrder,
  validateForShipStation,
  type ShipStationShipmentRecord,
} from './mapping';
import { connectorFailure } from '../../activities/failure';

/** What a ShipStation connection needs from the config and the vault. */
export interface ShipStationConnectionSettings {
  v1BaseUrl: string;
  v2BaseUrl: string;
  apiKey: string;
  apiSecret: string;
  v2ApiKey?: string;
  storeId?: number;
  warehouseId?: number;
  /** SKUs whose on-hand stock the ERP owns; default: every SKU ShipStation's inventory lists. */
  inventorySkus?: string[];
  /** V2 inventory location for SKUs ShipStation holds nowhere yet. */
  inventoryLocationId?: string;
}

export interface ShipStationFactoryOptions {
  db: Kysely<Database>;
  limits: ShipStationLimits;
  settings: (connection: string) => ShipStationConnectionSettings;
  log: Logger;
  /** Shared across worker processes by default (a PostgresSlidingLimiter on `db`). */
  limiter?: RateLimiter;
  timeoutMs?: number;
}

/** One client per connection, every one sharing the cross-process limiter (40/min V1, 200/min V2). */
export function createShipStationClientFactory(
  opts: ShipStationFactoryOptions,
): (connection: string) => ShipStationClient {
  const limiter = opts.limiter ?? new PostgresSlidingLimiter(opts.db, shipStationLimitFor(opts.limits));
  const clients = new Map<string, ShipStationClient>();
  return (connection) => {
    let client = clients.get(connection);
    if (!client) {
      const s = opts.settings(connection);
      client = new ShipStationClient({
        connection,
        v1BaseUrl: s.v1BaseUrl,
        v2BaseUrl: s.v2BaseUrl,
        apiKey: s.apiKey,
        apiSecret: s.apiSecret,
        ...(s.v2ApiKey ? { v2ApiKey: s.v2ApiKey } : {}),
        limiter,
        timeoutMs: opts.timeoutMs ?? 30_000,
        log: opts.log,
      });
      clients.set(connection, client);
    }
    return client;
  };
}

/** A canonical ShipStation shipment as the ERP-facing record (ship day in UTC calendar terms). */
export function toFulfilmentShipment(r: ShipStationShipmentRecord): FulfilmentShipment {
  return {
    shipmentId: r.shipmentId,
    trackingNumber: r.trackingNumber,
    carrier: r.carrierCode,
    ...(r.serviceCode ? { service: r.serviceCode } : {}),
    shipDate: (r.shipDate ?? r.createdAt ?? '').slice(0, 10),
    ...(r.cost ? { cost: r.cost } : {}),
    items: r.items.map((i) => ({ sku: i.sku, quantity: i.quantity })),
  };
}

function incoming(r: ShipStationShipmentRecord): IncomingShipment {
  return {
    shipment: toFulfilmentShipment(r),
    ...(r.orderKey ? { externalOrderKey: r.orderKey } : {}),
    // Return labels are not outbound shipments of the order.
    voided: r.voided || r.isReturnLabel,
  };
}

export interface ShipStationPortDeps {
  client: (connection: string) => ShipStationClient;
  settings: (connection: string) => ShipStationConnectionSettings;
  fulfilment: FulfilmentRepo;
  audit: AuditRepo;
  log: Logger;
}

/** The FulfilmentPort of one ShipStation connection. */
export function shipStationFulfilmentPort(deps: ShipStationPortDeps, connection: string): FulfilmentPort {
  const settings = () => deps.settings(connection);
  // Inside an activity the client knows its attempt: a rate-limit wait ends with the attempt's time
  // and heartbeats, and no write goes out after Temporal gave up on the attempt.
  const client = () => deps.client(connection).withAttempt(currentAttempt());
  const guard = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      throw connectorFailure(err);
    }
  };

  /** Push `status` for the order unless that exact content is there already; never touch a locked order. */
  async function push(
    workflowId: string,
    order: ErpOrder,
    status: 'awaiting_shipment' | 'cancelled',
    lookFirst = false,
    customs?: CustomsDetail,
  ) {
    const s = settings();
    const body = {
      ...toShipStationOrder(order, {
        ...(s.storeId !== undefined ? { storeId: s.storeId } : {}),
        ...(s.warehouseId !== undefined ? { warehouseId: s.warehouseId } : {}),
        // Part of the content version: a customs change is pushed like any other edit.
        ...(customs ? { customs } : {}),
      }),
      orderStatus: status,
    };
    const key = body.orderKey;
    const version = shipStationOrderVersion(body);
    // The row exists before the first push, so a shipment seen right after still finds its order.
    await deps.fulfilment.registerOrder({
      carrierConnection: connection,
      externalOrderKey: key,
      erpConnection: order.connection,
      orderKey: order.orderKey,
      workflowId,
    });
    const known = await deps.fulfilment.getOrder(connection, key);
    if (known?.pushed_version === version && known.phase) {
      return {
        phase: known.phase as WarehouseOrderPhase,
        pushed: false,
        version,
        ...(known.external_order_id ? { externalOrderId: known.external_order_id } : {}),
      } satisfies SubmitOrderResult;
    }
    let existingOrderId = known?.external_order_id ? Number(known.external_order_id) : undefined;
    if (lookFirst && existingOrderId === undefined) {
      // The order waited on ShipStation: an unanswered push may have created it meanwhile, and the
      // warehouse may have shipped it. Read before writing, so a final order is not refused (4xx).
      const there = await client().findOrderByKey(key, body.orderNumber);
      if (there && isLockedOrderStatus(there.orderStatus)) {
        const phase = shipStationOrderState(there.orderStatus).phase;
        const externalOrderId = String(there.orderId);
        await deps.fulfilment.markPushed(connection, key, { phase, externalOrderId });
        return { phase, pushed: false, externalOrderId } satisfies SubmitOrderResult;
      }
      if (there) existingOrderId = there.orderId;
    }
    try {
      const saved = await client().createOrUpdateOrder(body, {
        ...(existingOrderId !== undefined && Number.isSafeInteger(existingOrderId)
          ? { existingOrderId }
          : {}),
      });
      const phase = shipStationOrderState(saved.orderStatus).phase;
      await deps.fulfilment.markPushed(connection, key, {
        version,
        externalOrderId: String(saved.orderId),
        phase,
      });
      return {
        phase,
        pushed: true,
        version,
        externalOrderId: String(saved.orderId),
      } satisfies SubmitOrderResult;
    } catch (err) {
      if (!(err instanceof ShipStationImmutableOrderError)) throw err;
      // Shipped or cancelled in ShipStation: final there, so it is left exactly as it is. This is
      // also how a push whose first answer was lost learns that its order exists and has moved on
      // (the client reads it back): the workflow then waits for its shipment, or cancels, as if a
      // webhook had told it. Without a known status the phase is `attention`.
      const phase = shipStationOrderState(err.orderStatus).phase;
      const externalOrderId = err.orderId === undefined ? undefined : String(err.orderId);
      await deps.fulfilment.markPushed(connection, key, {
        phase,
        ...(externalOrderId ? { externalOrderId } : {}),
      });
      deps.log.info(
        { connection, orderKey: key, orderStatus: err.orderStatus, externalOrderId },
        'ShipStation order is locked; not updated',
      );
      return {
        phase,
        pushed: false,
        ...(externalOrderId ? { externalOrderId } : {}),
      } satisfies SubmitOrderResult;
    }
  }

  return {
    systemName: 'ShipStation',

    async submitOrder({ workflowId, order, lookFirst, customs }) {
      const problems = validateForShipStation(order, customs);
      if (problems.length > 0) {
        throw ApplicationFailure.nonRetryable(
          problems.map((p) => `${p.field}: ${p.message}`).join('; '),
          'OrderValidationError',
          { kind: 'validation', problems },
        );
      }
      return guard(() => push(workflowId, order, 'awaiting_shipment', lookFirst === true, customs));
    },

    async cancelOrder({ workflowId, order }) {
      const key = shipStationOrderKey(order.connection, order.orderKey);
      const known = await deps.fulfilment.getOrder(connection, key);
      // Never pushed: nothing exists in ShipStation to cancel.
      if (!known?.external_order_id) return { phase: 'cancelled', pushed: false };
      return guard(() => push(workflowId, order, 'cancelled'));
    },

    async listShipments({ since, until }) {
      return guard(async () => {
        const records = await client().listShipments({ createDateStart: since, createDateEnd: until });
        return records.map(incoming);
      });
    },

    checkResourceUrl(resourceUrl) {
      try {
        deps.client(connection).checkResourceUrl(resourceUrl);
      } catch (err) {
        throw connectorFailure(err);
      }
    },

    async shipmentsAt(resourceUrl) {
      return guard(async () => {
        const got = await client().getByResourceUrl(resourceUrl);
        return got.kind === 'shipments' ? got.shipments.map(incoming) : [];
      });
    },

    async listCancelledOrders({ since, until }) {
      return guard(async () => {
        const orders = await client().listOrders({
          orderStatus: 'cancelled',
          modifyDateStart: since,
          modifyDateEnd: until,
        });
        return orders.map((o) => o.orderKey).filter((k): k is string => typeof k === 'string' && k !== '');
      });
    },

    async ordersAt(resourceUrl) {
      return guard(async () => {
        const got = await client().getByResourceUrl(resourceUrl);
        if (got.kind !== 'orders') return [];
        return got.orders
          .filter((o) => typeof o.orderKey === 'string' && o.orderKey !== '')
          .map((o) => ({ externalOrderKey: o.orderKey!, phase: shipStationOrderState(o.orderStatus).phase }));
      });
    },

    async syncInventory(onHand): Promise<InventorySyncResult> {
      return guard(async () => {
        const s = settings();
        // Per location: without group_by, V2 sums a SKU over every location and names none.
        const levels = await client().listInventory({ groupBy: 'location' });
        const skus = s.inventorySkus ?? [...new Set(levels.map((l) => l.sku))];
        if (skus.length === 0) return { skus: 0, changed: 0, unknownInErp: [] };
        const erp = await onHand(skus);
        let changed = 0;
        const unknownInErp: string[] = [];
        for (const sku of skus) {
          const want = erp[sku];
          if (want === undefined) {
            unknownInErp.push(sku);
            continue;
          }
          const at = levels.filter((l) => l.sku === sku);
          // One location holds a SKU's stock; the configured one when ShipStation holds it nowhere yet.
          const level = at[0];
          const locationId = level?.locationId ?? s.inventoryLocationId;
          if (!locationId) {
            deps.log.warn({ connection, sku }, 'no ShipStation inventory location for this SKU; not synced');
            continue;
          }
          const current = at.filter((l) => l.locationId === locationId).reduce((n, l) => n + l.onHand, 0);
          if (current === want) continue;
          await client().setOnHand(sku, Math.max(0, Math.floor(want)), locationId, 'ERP on-hand sync');
          changed++;
        }
        return { skus: skus.length, changed, unknownInErp };
      });
    },
  };
}

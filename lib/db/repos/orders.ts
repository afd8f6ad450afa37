import { sql, type Kysely } from 'kysely';
import { GroupCommit } from '../group-commit';
import type { Database, Order, OrderStatus } from '../types';

/** One order status change as the orders table takes it (OrderRepo.recordStatus). */
interface StatusRow {
  connection: string;
  order_key: string;
  erp_order_number: string;
  workflow_id: string;
  status: OrderStatus;
  reason: string | null;
  carrier: string | null;
  tracking_number: string | null;
}

export interface DetectedOrder {
  connection: string;
  orderKey: string;
  erpOrderNumber: string;
  workflowId: string;
  /** The ERP's version of the order as the poll saw it. */
  erpVersion?: string;
}

/** The business record of every order the connector has seen; listings read from here. */
export class OrderRepo {
  constructor(private readonly db: Kysely<Database>) {}

  /**
   * Records an order seen by an ERP poll or webhook. An order already known keeps its status (a
   * poll seeing it again must not reset it); `isNew` says whether this call created the row.
   */
  async upsertDetected(order: DetectedOrder): Promise<{ order: Order; isNew: boolean }> {
    const inserted = await this.db
      .insertInto('orders')
      .values({
        connection: order.connection,
        order_key: order.orderKey,
        erp_order_number: order.erpOrderNumber,
        workflow_id: order.workflowId,
        status: 'detected',
        erp_version: order.erpVersion ?? null,
      })
      .onConflict((oc) => oc.columns(['connection', 'order_key']).doNothing())
      .returningAll()
      .executeTakeFirst();
    if (inserted) return { order: inserted, isNew: true };
    const existing = await this.get(order.connection, order.orderKey);
    if (!existing)
      throw new Error(`order ${order.connection}/${order.orderKey} vanished after a conflicting insert`);
    return { order: existing, isNew: false };
  }

  /**
   * Records the orders one ERP poll handed over, in one statement. A row that exists already (the
   * order's workflow wrote its first status before the poll got here) keeps its status and takes
   * the version the poll saw, so the next poll does not take that very version for an edit.
   */
  async recordDetected(orders: readonly DetectedOrder[]): Promise<void> {
    // One row per order key: an upsert cannot touch a row twice in one statement.
    const rows = [...new Map(orders.map((o) => [`${o.connection}\u0000${o.orderKey}`, o])).values()];
    if (rows.length === 0) return;
    await this.db
      .insertInto('orders')
      .values(
        rows.map((o) => ({
          connection: o.connection,
          order_key: o.orderKey,
          erp_order_number: o.erpOrderNumber,
          workflow_id: o.workflowId,
          status: 'detected' as const,
          erp_version: o.erpVersion ?? null,
        })),
      )
      .onConflict((oc) =>
        oc.columns(['connection', 'order_key']).doUpdateSet({
          erp_version: (eb) => eb.fn.coalesce(eb.ref('excluded.erp_version'), eb.ref('orders.erp_version')),
          updated_at: sql`now()`,
        }),
      )
      .execute();
  }

  /**
   * Records an order's lifecycle change in one statement: the row is created when the order is not
   * known yet (its workflow may run ahead of the poll that started it), else moved to `status`. As
   * with setStatus, the reason belongs to the new status and carrier and tracking number are kept
   * unless new ones are given; the order number, workflow id and ERP version of a known row stay.
   */
  recordStatus(
    order: Omit<DetectedOrder, 'erpVersion'>,
    status: OrderStatus,
    extra: { reason?: string; carrier?: string; trackingNumber?: string } = {},
  ): Promise<Order> {
    return this.statusChanges.add({
      connection: order.connection,
      order_key: order.orderKey,
      erp_order_number: order.erpOrderNumber,
      workflow_id: order.workflowId,
      status,
      reason: extra.reason ?? null,
      carrier: extra.carrier ?? null,
      tracking_number: extra.trackingNumber ?? null,
    });
  }

  /**
   * Status changes are group-committed: concurrent activities' changes go in one upsert, and under
   * load upserts start at least 50 ms apart (about one per order instead of one per change; the
   * change's audit row waits as long, see recordOrderStatus).
   */
  private readonly statusChanges = new GroupCommit<StatusRow, Order>({
    write: (rows) => this.upsertStatuses(rows),
    maxBatch: 100,
    keyOf: (r) => `${r.connection}\u001f${r.order_key}`,
    spacingMs: 50,
  });

  private async upsertStatuses(rows: StatusRow[]): Promise<Order[]> {
    const out = await this.db
      .insertInto('orders')
      .values(rows)
      .onConflict((oc) =>
        oc.columns(['connection', 'order_key']).doUpdateSet((eb) => ({
          status: eb.ref('excluded.status'),
          reason: eb.ref('excluded.reason'),
          // Given values replace, missing ones (null) keep what the row holds.
          carrier: sql<string | null>`coalesce(excluded.carrier, orders.carrier)`,
          tracking_number: sql<string | null>`coalesce(excluded.tracking_number, orders.tracking_number)`,
          updated_at: sql`now()`,
        })),
      )
      .returningAll()
      .execute();
    const byKey = new Map(out.map((o) => [`${o.connection}\u001f${o.order_key}`, o]));
    return rows.map((r) => {
      const o = byKey.get(`${r.connection}\u001f${r.order_key}`);
      if (!o) throw new Error(`order ${r.connection}/${r.order_key} missing from the status upsert's answer`);
      return o;
    });
  }

  /**
   * Moves an order to `status`. The reason belongs to the new status (it is cleared when none is
   * given); carrier and tracking number are kept unless new ones are given.
   */
  async setStatus(
    connection: string,
    orderKey: string,
    status: OrderStatus,
    extra: { reason?: string; carrier?: string; trackingNumber?: string } = {},
  ): Promise<Order> {
    const row = await this.db
      .updateTable('orders')
      .set({
        status,
        reason: extra.reason ?? null,
        ...(extra.carrier !== undefined ? { carrier: extra.carrier } : {}),
        ...(extra.trackingNumber !== undefined ? { tracking_number: extra.trackingNumber } : {}),
        updated_at: sql`now()`,
      })
      .where('connection', '=', connection)
      .where('order_key', '=', orderKey)
      .returningAll()
      .executeTakeFirst();
    if (!row) throw new Error(`unknown order ${connection}/${orderKey}`);
    return row;
  }

  /** Remember the ERP version a poll saw (an edit in the ERP changes it). */
  async setErpVersion(connection: string, orderKey: string, version: string): Promise<void> {
    await this.db
      .updateTable('orders')
      .set({ erp_version: version, updated_at: sql`now()` })
      .where('connection', '=', connection)
      .where('order_key', '=', orderKey)
      .execute();
  }

  /** The ship-to address an order was loaded with: the ERP's record of it and its content hash. */
  async setShipTo(connection: string, orderKey: string, ref: string, version: string): Promise<void> {
    await this.db
      .updateTable('orders')
      .set({ ship_to_ref: ref, ship_to_version: version, updated_at: sql`now()` })
      .where('connection', '=', connection)
      .where('order_key', '=', orderKey)
      .execute();
  }

  /** A changed ship-to address seen by the poll, recorded once its order was told. */
  async setShipToVersion(connection: string, orderKey: string, version: string): Promise<void> {
    await this.db
      .updateTable('orders')
      .set({ ship_to_version: version, updated_at: sql`now()` })
      .where('connection', '=', connection)
      .where('order_key', '=', orderKey)
      .execute();
  }

  /** Orders of a connection not in one of `finalStatuses` whose ship-to address is recorded. */
  async listOpenShipTos(
    connection: string,
    finalStatuses: readonly string[],
  ): Promise<Array<Pick<Order, 'order_key' | 'workflow_id' | 'ship_to_ref' | 'ship_to_version'>>> {
    return await this.db
      .selectFrom('orders')
      .select(['order_key', 'workflow_id', 'ship_to_ref', 'ship_to_version'])
      .where('connection', '=', connection)
      .where('ship_to_ref', 'is not', null)
      .where('status', 'not in', [...finalStatuses])
      .execute();
  }

  /** The rows of these orders that exist, by order key (one query for a whole poll). */
  async getMany(connection: string, orderKeys: readonly string[]): Promise<Map<string, Order>> {
    const out = new Map<string, Order>();
    for (let i = 0; i < orderKeys.length; i += 1000) {
      const chunk = orderKeys.slice(i, i + 1000);
      if (chunk.length === 0) continue;
      const rows = await this.db
        .selectFrom('orders')
        .selectAll()
        .where('connection', '=', connection)
        .where('order_key', 'in', chunk)
        .execute();
      for (const r of rows) out.set(r.order_key, r);
    }
    return out;
  }

  async get(connection: string, orderKey: string): Promise<Order | undefined> {
    return this.db
      .selectFrom('orders')
      .selectAll()
      .where('connection', '=', connection)
      .where('order_key', '=', orderKey)
      .executeTakeFirst();
  }

  /** Most recently changed first. */
  async list(filter: { status?: OrderStatus; connection?: string; limit: number }): Promise<Order[]> {
    let q = this.db.selectFrom('orders').selectAll();
    if (filter.status !== undefined) q = q.where('status', '=', filter.status);
    if (filter.connection !== undefined) q = q.where('connection', '=', filter.connection);
    return q.orderBy('updated_at', 'desc').orderBy('order_key').limit(filter.limit).execute();
  }

  async countByStatus(): Promise<Record<string, number>> {
    const rows = await this.db
      .selectFrom('orders')
      .select(['status', (eb) => eb.fn.countAll<string>().as('n')])
      .groupBy('status')
      .execute();
    return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
  }
}

import { sql, type Kysely } from 'kysely';
import type { Database, LabelKind, Shipment, ShipmentUpdate } from '../types';
import { newLabelId } from './labels';

/** Tracking statuses after which an order workflow expects nothing more. */
const FINAL_TRACKING = ['delivered', 'cancelled', 'returned'] as const;

export interface ShipmentIntent {
  idempotencyKey: string;
  workflowId: string;
  erpConnection: string;
  orderKey: string;
  carrier: string;
  carrierConnection: string;
  carrierAccount?: string | null;
  serviceType?: string | null;
}

/** A document stored beside a shipment's labels (its commercial invoice). */
export interface StoredDocument {
  kind: LabelKind;
  format: string;
  content: Buffer;
}

export interface ShipmentCreated {
  carrierShipmentId?: string | null;
  masterTrackingNumber: string;
  trackingNumbers: string[];
  labelRef?: string | null;
  labelFormat?: string | null;
  labelUrl?: string | null;
  labelUrlExpiresAt?: Date | null;
  /** Decimal string (or number) in cost_currency; stored as numeric(12,2), read back as a string. */
  costAmount?: string | number | null;
  costCurrency?: string | null;
}

/**
 * Shipments at a carrier. The intent row is written before the carrier call and completed after
 * it, so a retry after a crash in between finds a `pending` row and looks the first shipment up
 * instead of buying a second label. Ids are bigserial, returned as strings.
 */
export class ShipmentRepo {
  constructor(private readonly db: Kysely<Database>) {}

  /** Inserts a `pending` row, or returns the row already recorded for this key (idempotent). */
  async recordIntent(intent: ShipmentIntent): Promise<Shipment> {
    return (await this.claimIntent(intent)).shipment;
  }

  /**
   * recordIntent, telling whether the row was there before (`existed`): a create that finds its
   * intent already recorded may follow an attempt whose shipment the carrier made without our hearing.
   * One round trip when the row is new.
   */
  async claimIntent(intent: ShipmentIntent): Promise<{ shipment: Shipment; existed: boolean }> {
    const inserted = await this.db
      .insertInto('shipments')
      .values({
        idempotency_key: intent.idempotencyKey,
        workflow_id: intent.workflowId,
        erp_connection: intent.erpConnection,
        order_key: intent.orderKey,
        carrier: intent.carrier,
        carrier_connection: intent.carrierConnection,
        carrier_account: intent.carrierAccount ?? null,
        service_type: intent.serviceType ?? null,
        status: 'pending',
        tracking_numbers: '[]',
      })
      .onConflict((oc) => oc.column('idempotency_key').doNothing())
      .returningAll()
      .executeTakeFirst();
    if (inserted) return { shipment: inserted, existed: false };
    return { shipment: await this.mustFind(intent.idempotencyKey), existed: true };
  }

  async markCreated(idempotencyKey: string, result: ShipmentCreated): Promise<Shipment> {
    return this.update(idempotencyKey, createdValues(result));
  }

  /**
   * markCreated together with the label documents (one per package for PDF, the first being the
   * shipment's label_ref) and any other documents the carrier printed with the shipment (its
   * commercial invoice), in one statement: one round trip, and the shipment never shows `created`
   * without its documents. They hang off the row the update found, so an unknown key stores
   * nothing. Answers the label ids in package order.
   */
  async markCreatedWithLabels(
    idempotencyKey: string,
    /** labelUrl/labelUrlExpiresAt when the label itself is the carrier's link (documents then empty). */
    result: Omit<ShipmentCreated, 'labelRef' | 'labelFormat'>,
    label: { format: string; documents: Buffer[] },
    others: StoredDocument[] = [],
  ): Promise<string[]> {
    if (label.documents.length === 0 && others.length === 0) {
      await this.markCreated(idempotencyKey, { ...result, labelFormat: label.format });
      return [];
    }
    const rows: Array<StoredDocument & { id: string }> = [
      ...label.documents.map((content) => ({ kind: 'label' as const, format: label.format, content })),
      ...others,
    ].map((d) => ({ ...d, id: newLabelId() }));
    const ids = rows.slice(0, label.documents.length).map((r) => r.id);
    const values = createdValues({
      ...result,
      ...(ids[0] ? { labelRef: ids[0] } : {}),
      labelFormat: label.format,
    });
    const docs = sql.join(
      rows.map(
        (r, n) => sql`(${r.id}::text, ${r.kind}::text, ${r.format}::text, ${r.content}::bytea, ${n}::int)`,
      ),
    );
    const saved = await this.db
      .with('done', (db) =>
        db
          .updateTable('shipments')
          .set({ ...values, updated_at: sql`now()` })
          .where('idempotency_key', '=', idempotencyKey)
          .returning('id'),
      )
      .insertInto('labels')
      .columns(['id', 'shipment_id', 'kind', 'format', 'content', 'created_at'])
      // created_at a microsecond apart keeps the packages in order for LabelRepo.listForShipment.
      .expression(
        sql`SELECT d.id, done.id, d.kind, d.format, d.content, now() + d.n * interval '1 microsecond'
            FROM done, (VALUES ${docs}) AS d(id, kind, format, content, n)`,
      )
      .returning('id')
      .execute();
    if (saved.length === 0) throw new Error(`no shipment recorded for idempotency key ${idempotencyKey}`);
    return ids;
  }

  async markFailed(idempotencyKey: string, error: string): Promise<Shipment> {
    return this.update(idempotencyKey, { status: 'failed', error });
  }

  async markCancelled(idempotencyKey: string): Promise<Shipment> {
    return this.update(idempotencyKey, { status: 'cancelled' });
  }

  async findByKey(idempotencyKey: string): Promise<Shipment | undefined> {
    return this.db
      .selectFrom('shipments')
      .selectAll()
      .where('idempotency_key', '=', idempotencyKey)
      .executeTakeFirst();
  }

  /** The newest shipment whose master or any package tracking number matches. */
  async findByTrackingNumber(trackingNumber: string): Promise<Shipment | undefined> {
    return this.db
      .selectFrom('shipments')
      .selectAll()
      .where((eb) =>
        eb.or([
          eb('master_tracking_number', '=', trackingNumber),
          eb(sql`tracking_numbers`, '@>', sql`${JSON.stringify([trackingNumber])}::jsonb`),
        ]),
      )
      .orderBy('id', 'desc')
      .executeTakeFirst();
  }

  /**
   * Created shipments of one carrier connection whose order workflow has not yet been told a final
   * status, in id order: what the tracking sweep must still look at. It goes by what the workflow
   * was told (`notified_status`), not by what the carrier last said: a sweep that stored a delivery
   * and died before signalling sees the shipment again on its retry. Keyset paging: pass the last
   * id of a page as `afterId` to get the next one.
   */
  async listInTransit(
    carrierConnection: string,
    page: { limit: number; afterId?: string },
  ): Promise<Shipment[]> {
    let q = this.db
      .selectFrom('shipments')
      .selectAll()
      .where('carrier_connection', '=', carrierConnection)
      .where('status', '=', 'created')
      .where((eb) =>
        eb.or([eb('notified_status', 'is', null), eb('notified_status', 'not in', [...FINAL_TRACKING])]),
      );
    if (page.afterId !== undefined) q = q.where('id', '>', page.afterId);
    return q.orderBy('id').limit(page.limit).execute();
  }

  /**
   * Records the latest tracking status. Updates older than the stored one are ignored (poll and
   * webhook can deliver out of order); returns whether the update was applied. `delivered`
   * without an explicit delivery time uses `at`.
   */
  async updateTrackingStatus(id: string, status: string, at: Date, deliveredAt?: Date): Promise<boolean> {
    const delivered = deliveredAt ?? (status === 'delivered' ? at : undefined);
    const res = await this.db
      .updateTable('shipments')
      .set({
        tracking_status: status,
        tracking_status_at: at,
        ...(delivered ? { delivered_at: delivered } : {}),
        updated_at: sql`now()`,
      })
      .where('id', '=', id)
      .where((eb) => eb.or([eb('tracking_status_at', 'is', null), eb('tracking_status_at', '<=', at)]))
      .executeTakeFirst();
    return res.numUpdatedRows > 0n;
  }

  /** Record what the order workflow has been told (after the signal went through). */
  async markNotified(id: string, status: string, eventTime: Date): Promise<void> {
    await this.db
      .updateTable('shipments')
      .set({ notified_status: status, notified_event_time: eventTime, updated_at: sql`now()` })
      .where('id', '=', id)
      .execute();
  }

  private async update(idempotencyKey: string, values: ShipmentUpdate): Promise<Shipment> {
    const row = await this.db
      .updateTable('shipments')
      .set({ ...values, updated_at: sql`now()` })
      .where('idempotency_key', '=', idempotencyKey)
      .returningAll()
      .executeTakeFirst();
    if (!row) throw new Error(`no shipment recorded for idempotency key ${idempotencyKey}`);
    return row;
  }

  private async mustFind(idempotencyKey: string): Promise<Shipment> {
    const row = await this.findByKey(idempotencyKey);
    if (!row) throw new Error(`shipment ${idempotencyKey} vanished after a conflicting insert`);
    return row;
  }
}

/** The columns a created shipment sets. */
function createdValues(result: ShipmentCreated): ShipmentUpdate {
  return {
    status: 'created',
    carrier_shipment_id: result.carrierShipmentId ?? null,
    master_tracking_number: result.masterTrackingNumber,
    // jsonb: a JS array would be sent as a PostgreSQL array literal, so serialise it here.
    tracking_numbers: JSON.stringify(result.trackingNumbers),
    label_ref: result.labelRef ?? null,
    label_format: result.labelFormat ?? null,
    label_url: result.labelUrl ?? null,
    label_url_expires_at: result.labelUrlExpiresAt ?? null,
    cost_amount: result.costAmount ?? null,
    cost_currency: result.costCurrency ?? null,
    error: null,
  };
}

import { sql, type Kysely } from 'kysely';
import type { FulfilmentShipment } from '../../../domain/fulfilment';
import type { Database } from '../types';

export interface FulfilmentOrderRef {
  carrierConnection: string;
  externalOrderKey: string;
  erpConnection: string;
  orderKey: string;
  workflowId: string;
}

/**
 * Orders pushed to a warehouse system and the shipments it made. The order row exists before the
 * first push, so a shipment that arrives at once still finds its workflow.
 */
export class FulfilmentRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async registerOrder(ref: FulfilmentOrderRef): Promise<void> {
    await this.db
      .insertInto('fulfilment_orders')
      .values({
        carrier_connection: ref.carrierConnection,
        external_order_key: ref.externalOrderKey,
        erp_connection: ref.erpConnection,
        order_key: ref.orderKey,
        workflow_id: ref.workflowId,
      })
      .onConflict((oc) => oc.columns(['carrier_connection', 'external_order_key']).doNothing())
      .execute();
  }

  async getOrder(carrierConnection: string, externalOrderKey: string) {
    return this.db
      .selectFrom('fulfilment_orders')
      .selectAll()
      .where('carrier_connection', '=', carrierConnection)
      .where('external_order_key', '=', externalOrderKey)
      .executeTakeFirst();
  }

  /** After a push went through (or the warehouse told us its phase). */
  async markPushed(
    carrierConnection: string,
    externalOrderKey: string,
    change: { version?: string; externalOrderId?: string; phase: string },
  ): Promise<void> {
    await this.db
      .updateTable('fulfilment_orders')
      .set({
        phase: change.phase,
        ...(change.version !== undefined ? { pushed_version: change.version, pushed_at: sql`now()` } : {}),
        ...(change.externalOrderId !== undefined ? { external_order_id: change.externalOrderId } : {}),
        updated_at: sql`now()`,
      })
      .where('carrier_connection', '=', carrierConnection)
      .where('external_order_key', '=', externalOrderKey)
      .execute();
  }

  /**
   * Record a sighting of a shipment and claim the right to hand it to its workflow. The first
   * sighting inserts it and claims it; later ones (a duplicate webhook, the poll racing the
   * webhook) do not, unless the claim went stale without the workflow being told (the claimer
   * crashed): then, after `staleMs`, a sighting claims it again. `claimed` says whether to signal.
   */
  async recordShipment(input: {
    carrierConnection: string;
    shipment: FulfilmentShipment;
    externalOrderKey?: string;
    workflowId?: string;
    source: 'webhook' | 'poll';
    voided: boolean;
    staleMs?: number;
  }): Promise<{ isNew: boolean; claimed: boolean; workflowId: string | null }> {
    const inserted = await this.db
      .insertInto('fulfilment_shipments')
      .values({
        carrier_connection: input.carrierConnection,
        shipment_id: input.shipment.shipmentId,
        external_order_key: input.externalOrderKey ?? null,
        workflow_id: input.workflowId ?? null,
        source: input.source,
        shipment: JSON.stringify(input.shipment),
        voided: input.voided,
      })
      .onConflict((oc) => oc.columns(['carrier_connection', 'shipment_id']).doNothing())
      .returning(['workflow_id'])
      .executeTakeFirst();
    if (inserted) return { isNew: true, claimed: true, workflowId: inserted.workflow_id };
    const staleBefore = new Date(Date.now() - (input.staleMs ?? 60_000));
    const reclaimed = await this.db
      .updateTable('fulfilment_shipments')
      .set({ received_at: sql`now()` })
      .where('carrier_connection', '=', input.carrierConnection)
      .where('shipment_id', '=', input.shipment.shipmentId)
      .where('notified_at', 'is', null)
      .where('received_at', '<', staleBefore)
      .returning(['workflow_id'])
      .executeTakeFirst();
    if (reclaimed) return { isNew: false, claimed: true, workflowId: reclaimed.workflow_id };
    return { isNew: false, claimed: false, workflowId: input.workflowId ?? null };
  }

  async markShipmentNotified(carrierConnection: string, shipmentId: string): Promise<void> {
    await this.db
      .updateTable('fulfilment_shipments')
      .set({ notified_at: sql`now()` })
      .where('carrier_connection', '=', carrierConnection)
      .where('shipment_id', '=', shipmentId)
      .execute();
  }

  async listShipments(carrierConnection: string) {
    return this.db
      .selectFrom('fulfilment_shipments')
      .selectAll()
      .where('carrier_connection', '=', carrierConnection)
      .orderBy('received_at')
      .execute();
  }
}

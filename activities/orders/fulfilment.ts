import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { Repos } from '../../lib/db/repos';
import { cancelSignal, shipmentNoticeSignal } from '../../workflows/messages';
import type { IncomingShipment } from '../../connectors/ports';

export interface ShipmentIntake {
  client: Client;
  repos: Pick<Repos, 'fulfilment' | 'audit'>;
  log: Logger;
}

export interface AcceptResult {
  /** Shipments in the answer. */
  seen: number;
  /** Handed to their order workflow now. */
  notified: number;
  /** Seen before and already handed over (a duplicate webhook, the poll after the webhook). */
  duplicates: number;
  /** Not from an order this connector pushed. */
  foreign: number;
  /** Voided (or return) labels, never applied. */
  voided: number;
}

/**
 * Shipments from a warehouse system (webhook or poll) to their order workflows, each exactly once
 * per shipmentId: the first sighting records and claims it, signals, then marks it told; a sighting
 * racing it changes nothing. A crash between claim and mark lets a later sighting (after a minute)
 * signal again, and the workflow ignores a shipmentId it has applied.
 */
export async function acceptShipments(
  deps: ShipmentIntake,
  carrierConnection: string,
  incoming: IncomingShipment[],
  source: 'webhook' | 'poll',
): Promise<AcceptResult> {
  const out: AcceptResult = { seen: incoming.length, notified: 0, duplicates: 0, foreign: 0, voided: 0 };
  for (const inc of incoming) {
    const order = inc.externalOrderKey
      ? await deps.repos.fulfilment.getOrder(carrierConnection, inc.externalOrderKey)
      : undefined;
    if (!order) {
      out.foreign++;
      continue;
    }
    const seen = await deps.repos.fulfilment.recordShipment({
      carrierConnection,
      shipment: inc.shipment,
      externalOrderKey: inc.externalOrderKey,
      workflowId: order.workflow_id,
      source,
      voided: inc.voided,
    });
    if (!seen.claimed) {
      out.duplicates++;
      continue;
    }
    if (inc.voided) {
      out.voided++;
    } else {
      try {
        await deps.client.workflow.getHandle(order.workflow_id).signal(shipmentNoticeSignal, inc.shipment);
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
        deps.log.warn(
          { carrierConnection, shipmentId: inc.shipment.shipmentId, workflowId: order.workflow_id },
          'shipment for an order whose workflow has finished; recorded, not applied',
        );
      }
      out.notified++;
    }
    await deps.repos.fulfilment.markShipmentNotified(carrierConnection, inc.shipment.shipmentId);
    await deps.repos.audit.append({
      actor: source,
      action: inc.voided ? 'shipment.voided' : 'shipment.received',
      outcome: 'ok',
      connection: carrierConnection,
      workflowId: order.workflow_id,
      orderKey: order.order_key,
      details: {
        shipmentId: inc.shipment.shipmentId,
        trackingNumber: inc.shipment.trackingNumber,
        carrier: inc.shipment.carrier,
      },
    });
  }
  return out;
}

/**
 * Orders the warehouse system reports cancelled (someone cancelled them there): their workflows are
 * told to cancel, which records it in the ERP. Orders not ours, or already known cancelled, are left.
 */
export async function cancelOrdersCancelledAtWarehouse(
  deps: ShipmentIntake,
  carrierConnection: string,
  externalOrderKeys: string[],
  /** Names the system in the reason operators read, its product name. */
  systemName: string,
): Promise<number> {
  let cancelled = 0;
  for (const key of externalOrderKeys) {
    const ours = await deps.repos.fulfilment.getOrder(carrierConnection, key);
    if (!ours || ours.phase === 'cancelled') continue;
    try {
      await deps.client.workflow
        .getHandle(ours.workflow_id)
        .signal(cancelSignal, { reason: `cancelled in ${systemName}`, by: carrierConnection });
      cancelled++;
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
  }
  return cancelled;
}

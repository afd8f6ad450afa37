import type { Kysely } from 'kysely';
import type { Database, TrackingEvent } from '../types';

export interface TrackingEventInput {
  /** Same scan, same key, whichever path (poll or webhook) saw it first. */
  dedupKey: string;
  carrier: string;
  trackingNumber: string;
  shipmentId?: string | null;
  status: string;
  rawCode?: string | null;
  description?: string | null;
  location?: string | null;
  eventTime: Date;
  estimatedDelivery?: Date | null;
  source: string;
}

export class TrackingEventRepo {
  constructor(private readonly db: Kysely<Database>) {}

  /** Stores the event unless its dedup key is already known; returns whether it was new. */
  async insertOnce(event: TrackingEventInput): Promise<boolean> {
    const row = await this.db
      .insertInto('tracking_events')
      .values({
        dedup_key: event.dedupKey,
        carrier: event.carrier,
        tracking_number: event.trackingNumber,
        shipment_id: event.shipmentId ?? null,
        status: event.status,
        raw_code: event.rawCode ?? null,
        description: event.description ?? null,
        location: event.location ?? null,
        event_time: event.eventTime,
        estimated_delivery: event.estimatedDelivery ?? null,
        source: event.source,
      })
      .onConflict((oc) => oc.column('dedup_key').doNothing())
      .returning('id')
      .executeTakeFirst();
    return row !== undefined;
  }

  /** Oldest event first. */
  async listForTrackingNumber(trackingNumber: string): Promise<TrackingEvent[]> {
    return this.db
      .selectFrom('tracking_events')
      .selectAll()
      .where('tracking_number', '=', trackingNumber)
      .orderBy('event_time')
      .orderBy('id')
      .execute();
  }
}

import { randomBytes } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { Database, LabelsTable } from '../types';

export type Label = Selectable<LabelsTable>;

/**
 * Label bytes, stored here so workflow payloads carry only the id. Ids are random and URL-safe
 * (they appear in download links), so they cannot be guessed from a shipment number.
 */
export class LabelRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async save(label: { shipmentId?: string | null; format: string; content: Buffer }): Promise<string> {
    const id = randomBytes(18).toString('base64url');
    await this.db
      .insertInto('labels')
      .values({ id, shipment_id: label.shipmentId ?? null, format: label.format, content: label.content })
      .execute();
    return id;
  }

  /** Every label of a shipment (one per package for PDF), oldest first. */
  async listForShipment(shipmentId: string): Promise<Label[]> {
    return this.db
      .selectFrom('labels')
      .selectAll()
      .where('shipment_id', '=', shipmentId)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
  }

  async get(id: string): Promise<Label | undefined> {
    return this.db.selectFrom('labels').selectAll().where('id', '=', id).executeTakeFirst();
  }
}

import { randomBytes } from 'node:crypto';
import { sql, type Kysely, type Selectable } from 'kysely';
import type { Database, LabelsTable } from '../types';

export type Label = Selectable<LabelsTable>;
export type NewLabel = { shipmentId?: string | null; format: string; content: Buffer };

/** Label ids are random and URL-safe: they appear in download links. */
export const newLabelId = () => randomBytes(18).toString('base64url');

/**
 * Label bytes, stored here so workflow payloads carry only the id. Ids are random and URL-safe
 * (they appear in download links), so they cannot be guessed from a shipment number.
 */
export class LabelRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async save(label: NewLabel): Promise<string> {
    return (await this.saveAll([label]))[0]!;
  }

  /** Several labels in one insert (one PDF per package); their ids, in the same order. */
  async saveAll(labels: NewLabel[]): Promise<string[]> {
    if (labels.length === 0) return [];
    const ids = labels.map(() => newLabelId());
    // created_at a microsecond apart keeps the packages in order for listForShipment.
    await this.db
      .insertInto('labels')
      .values(
        labels.map((label, i) => ({
          id: ids[i]!,
          shipment_id: label.shipmentId ?? null,
          format: label.format,
          content: label.content,
          created_at: sql<Date>`now() + ${i} * interval '1 microsecond'`,
        })),
      )
      .execute();
    return ids;
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

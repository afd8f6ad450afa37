import { randomBytes } from 'node:crypto';
import { sql, type Kysely, type Selectable } from 'kysely';
import type { Database, LabelKind, LabelsTable } from '../types';

export type Label = Selectable<LabelsTable>;
/** `kind` is 'label' unless given (a commercial invoice is stored here too). */
export type NewLabel = { shipmentId?: string | null; kind?: LabelKind; format: string; content: Buffer };

/** Label ids are random and URL-safe: they appear in download links. */
export const newLabelId = () => randomBytes(18).toString('base64url');

/**
 * Label bytes, stored here so workflow payloads carry only the id, and beside them the other
 * documents a carrier prints with a shipment (`kind` says which). Ids are random and URL-safe
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
          kind: label.kind ?? 'label',
          format: label.format,
          content: label.content,
          created_at: sql<Date>`now() + ${i} * interval '1 microsecond'`,
        })),
      )
      .execute();
    return ids;
  }

  /** Every document of a shipment (its labels, one per package for PDF, then the others), oldest first. */
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

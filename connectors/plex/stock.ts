// Plex stock for the ShipStation flow, the calling part: on-hand quantities per part number, and
// shipped quantities taken out of stock exactly once per externalShipmentCode through an inventory
// shipment (create -> stage containers -> ship). The pure parts (shapes, input check, container
// pick, PlexInsufficientStockError) are in inventory.ts; the HTTP calls go through the client's
// transport like every other Plex call.

import type { Logger } from 'pino';
import { unique } from '../kit/lists';
import { PlexValidationError } from './errors';
import {
  CONTAINER_TAKEN_CODES,
  PLEX_SHIPMENT_STATUS,
  PlexInsufficientStockError,
  PlexStockConflictError,
  normalizeShipped,
  pickContainers,
  sumOnHand,
  type PlexContainer,
  type PlexInventoryShipment,
  type RecordShippedResult,
  type ShippedQuantities,
} from './inventory';
import { PLEX_RECORD } from './schemas';
import type { PlexTransport, Query } from './transport';
import type { PlexPartRecord } from './wire';

/** Pick-and-stage attempts before a container conflict goes back to the activity's retry policy. */
const STAGE_ATTEMPTS = 4;

export interface PlexStockOptions {
  log: Logger;
  now: () => Date;
  random: () => number;
  /** A pause between tries, cut short when the activity is cancelled. */
  wait: (ms: number) => Promise<void>;
  /** Containers being staged by this process's other calls (shared by the client's copies). */
  picked: Set<string>;
}

export class PlexStock {
  constructor(
    private readonly http: PlexTransport,
    private readonly opts: PlexStockOptions,
  ) {}

  /**
   * Part master records by part number (every revision). `number` is a single-value filter in the
   * spec, so one request per number; the answer is checked again because Plex ignores filters it
   * does not know.
   */
  async findPartsByNumber(numbers: string[]): Promise<PlexPartRecord[]> {
    const out: PlexPartRecord[] = [];
    for (const number of unique(numbers)) {
      const parts = await this.http.list<PlexPartRecord>(
        PLEX_RECORD.part,
        'findPartsByNumber',
        '/mdm/v1/parts',
        [['number', number]],
      );
      out.push(...parts.filter((p) => p.number === number));
    }
    return out;
  }

  /** Active containers of one part (Plex lists only active ones: its on-hand stock). */
  async listContainers(partId: string): Promise<PlexContainer[]> {
    const containers = await this.http.list<PlexContainer>(
      PLEX_RECORD.container,
      'listContainers',
      '/inventory/v1/inventory-tracking/containers',
      [['partId', partId]],
    );
    return containers.filter((c) => c.partId === partId);
  }

  async listInventoryShipments(
    q: { externalShipmentCode?: string; shipmentStatus?: string } = {},
  ): Promise<PlexInventoryShipment[]> {
    const query: Query = [];
    if (q.externalShipmentCode !== undefined) query.push(['externalShipmentCode', q.externalShipmentCode]);
    if (q.shipmentStatus) query.push(['shipmentStatus', q.shipmentStatus]);
    const shipments = await this.http.list<PlexInventoryShipment>(
      PLEX_RECORD.inventoryShipment,
      'listInventoryShipments',
      '/inventory/v1/inventory-shipping/shipments',
      query,
    );
    return shipments.filter(
      (s) =>
        (q.externalShipmentCode === undefined || s.externalShipmentCode === q.externalShipmentCode) &&
        (!q.shipmentStatus || s.shipmentStatus === q.shipmentStatus),
    );
  }

  async createInventoryShipment(externalShipmentCode: string): Promise<PlexInventoryShipment> {
    const path = '/inventory/v1/inventory-shipping/shipments';
    const body = await this.http.write('createInventoryShipment', 'POST', path, { externalShipmentCode });
    return this.http.record<PlexInventoryShipment>(
      PLEX_RECORD.inventoryShipment,
      'createInventoryShipment',
      path,
      body,
    );
  }

  async stageInventoryShipment(id: string, serialNos: string[]): Promise<PlexInventoryShipment> {
    return (await this.http.write(
      'stageInventoryShipment',
      'POST',
      `/inventory/v1-beta1/inventory-shipping/shipments/${encodeURIComponent(id)}/stage`,
      { serialNos },
      `inventory shipment ${id}`,
    )) as PlexInventoryShipment;
  }

  async shipInventoryShipment(id: string): Promise<PlexInventoryShipment> {
    return (await this.http.write(
      'shipInventoryShipment',
      'POST',
      `/inventory/v1-beta1/inventory-shipping/shipments/${encodeURIComponent(id)}/ship`,
      undefined,
      `inventory shipment ${id}`,
    )) as PlexInventoryShipment;
  }

  /**
   * On-hand stock per part number: the sum of the active containers of every part (all revisions)
   * with that number. A number Plex does not know is left out of the answer (and logged), so one
   * bad SKU mapping cannot zero the stock of a product elsewhere.
   */
  async onHandByPartNumber(partNumbers: string[]): Promise<Record<string, number>> {
    const parts = await this.findPartsByNumber(partNumbers);
    const out: Record<string, number> = {};
    for (const number of unique(partNumbers)) {
      const ids = parts.filter((p) => p.number === number).map((p) => p.id);
      if (ids.length === 0) {
        this.opts.log.warn({ partNumber: number }, 'Plex has no part with this number; no on-hand reported');
        continue;
      }
      let total = 0;
      for (const id of ids) total += sumOnHand(await this.listContainers(id));
      out[number] = total;
    }
    return out;
  }

  /**
   * Take shipped quantities out of Plex stock exactly once per externalShipmentCode (the caller's
   * ShipStation shipmentId). The inventory shipment is looked up by that code first: already
   * Shipped -> nothing happens (applied: false); Staged -> it is shipped; Unstaged (a crash after
   * the create) -> containers are staged and it is shipped; none -> created, staged and shipped.
   * Containers are picked oldest first and must add up exactly (see inventory.ts).
   */
  async recordShippedQuantities(input: ShippedQuantities): Promise<RecordShippedResult> {
    const { externalShipmentCode: code, items } = normalizeShipped(input);
    const started = this.opts.now().getTime();
    const existing = await this.listInventoryShipments({ externalShipmentCode: code });
    const shipped = existing.find((s) => s.shipmentStatus === PLEX_SHIPMENT_STATUS.shipped);
    if (shipped) {
      this.opts.log.info(
        { externalShipmentCode: code, inventoryShipmentId: shipped.id },
        'already shipped in Plex',
      );
      await this.auditRecord(code, shipped.id, false, started);
      return { applied: false, inventoryShipmentId: shipped.id };
    }
    const oldestFirst = [...existing].sort((a, b) =>
      (a.createdDate ?? '').localeCompare(b.createdDate ?? ''),
    );
    let shipment =
      oldestFirst.find((s) => s.shipmentStatus === PLEX_SHIPMENT_STATUS.staged) ?? oldestFirst[0];
    if (!shipment || shipment.shipmentStatus !== PLEX_SHIPMENT_STATUS.staged) {
      // Pick before creating, so short stock fails without leaving a shipment behind. A concurrent
      // shipment of the same part may take the picked containers first: pick again, a few times.
      for (let attempt = 1; ; attempt++) {
        const serialNos = await this.pickSerials(code, items);
        // Held until the stage is answered: this process's other shipments pick around them.
        for (const s of serialNos) this.opts.picked.add(s);
        try {
          shipment ??= await this.createInventoryShipment(code);
          await this.stageInventoryShipment(shipment.id, serialNos);
          break;
        } catch (err) {
          const taken =
            err instanceof PlexValidationError &&
            err.details.some((d) => CONTAINER_TAKEN_CODES.includes(d.code));
          if (!taken) throw err;
          if (attempt >= STAGE_ATTEMPTS) {
            throw new PlexStockConflictError(
              `Plex inventory shipment ${code}: the containers picked were taken by another shipment ` +
                `${attempt} times in a row; retrying later`,
            );
          }
          await this.opts.wait(100 * attempt + Math.floor(this.opts.random() * 200));
        } finally {
          for (const s of serialNos) this.opts.picked.delete(s);
        }
      }
    }
    try {
      await this.shipInventoryShipment(shipment.id);
    } catch (err) {
      // Shipped meanwhile by a concurrent call with the same code: that call applied it.
      if (
        err instanceof PlexValidationError &&
        err.details.some((d) => d.code === 'SHIPMENT_ALREADY_SHIPPED')
      ) {
        await this.auditRecord(code, shipment.id, false, started);
        return { applied: false, inventoryShipmentId: shipment.id };
      }
      throw err;
    }
    await this.auditRecord(code, shipment.id, true, started);
    return { applied: true, inventoryShipmentId: shipment.id };
  }

  /** Serial numbers of the containers that ship `items`: oldest first, not staged elsewhere. */
  private async pickSerials(code: string, items: ShippedQuantities['items']): Promise<string[]> {
    const parts = await this.findPartsByNumber(items.map((i) => i.partNumber));
    const staged = new Set(
      (await this.listInventoryShipments({ shipmentStatus: PLEX_SHIPMENT_STATUS.staged })).flatMap((s) =>
        (s.containers ?? []).map((c) => c.serialNo),
      ),
    );
    const serials: string[] = [];
    for (const { partNumber, quantity } of items) {
      const ids = parts.filter((p) => p.number === partNumber).map((p) => p.id);
      if (ids.length === 0) {
        throw new PlexValidationError(
          `Plex recordShippedQuantities (${code}): Plex has no part number ${partNumber}; fix the SKU ` +
            'mapping, or subscribe the app to the "Parts API" product if the part exists',
        );
      }
      const containers: PlexContainer[] = [];
      for (const id of ids) containers.push(...(await this.listContainers(id)));
      const unstaged = containers.filter((c) => !staged.has(c.serialNo));
      // Around the containers this process is staging for other shipments; where that leaves too
      // little, among all of them (a conflict then means picking again, as across processes).
      const free = unstaged.filter((c) => !this.opts.picked.has(c.serialNo));
      const picked = pickContainers(free, quantity) ?? pickContainers(unstaged, quantity);
      if (!picked) {
        const onHand = sumOnHand(unstaged);
        throw new PlexInsufficientStockError(
          `Plex recordShippedQuantities (${code}): cannot take ${quantity} of ${partNumber} out of stock: ` +
            (onHand < quantity
              ? `only ${onHand} on hand in active containers; receive or adjust stock in Plex, then retry`
              : `no set of whole containers adds up to ${quantity} (${unstaged.length} containers, ${onHand} on hand); ` +
                'split a container in Plex, then retry'),
        );
      }
      serials.push(...picked.map((c) => c.serialNo));
    }
    return serials;
  }

  private async auditRecord(code: string, id: string, applied: boolean, started: number): Promise<void> {
    await this.http.note({
      action: 'plex.recordShippedQuantities',
      outcome: 'ok',
      httpMethod: 'POST',
      httpPath: '/inventory/v1-beta1/inventory-shipping/shipments/{id}/ship',
      durationMs: this.opts.now().getTime() - started,
      details: { externalShipmentCode: code, inventoryShipmentId: id, applied },
    });
  }
}

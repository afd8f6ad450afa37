// Inventory in the Plex simulator: active containers per part, and "inventory shipments" that take
// whole containers out of stock. Shapes follow the spec's inventory_operations_management_api
// schemas; the flow follows its beta actions: create a shipment (externalShipmentCode only), stage
// container serial numbers on it, ship it. The spec has no quantity on a shipment and no way to
// split a container, so stock leaves in whole containers (see README "Inventory").

import { createHash, randomUUID } from 'node:crypto';
import type { Route, RouteContext } from './api';
import { errors } from './errors';
import { applyFilters, eq, type Filter } from './query';
import type { Part } from './wire';

/** inventory_operations_management_api_List_Containers_item (the fields the simulator fills) */
export interface InventoryContainer {
  serialNo: string;
  partId: string;
  partNo: string;
  revision: string;
  partNoRevision: string;
  partName: string;
  containerStatus: string;
  locationId: string;
  location: string;
  quantity: number;
  quantityInventoryUnit: string;
  containerType: string;
  inventoryType: string;
  addDateTime: string;
  updateDateTime: string;
}

/** containers_item: a container staged on an inventory shipment */
export interface InventoryShipmentContainer {
  serialNo: string;
  createdById: string;
  createdDate: string;
}

/** inventory_operations_management_api_Get_Inventory_Shipment_response */
export interface InventoryShipment {
  id: string;
  externalShipmentCode?: string;
  /** Unstaged, Staged or Shipped. */
  shipmentStatus: string;
  containers: InventoryShipmentContainer[];
  /** The tenant id, as the spec describes createdById. */
  createdById: string;
  createdDate: string;
}

export const SHIPMENT_STATUS = { unstaged: 'Unstaged', staged: 'Staged', shipped: 'Shipped' } as const;

/** Status of a container that is in stock; a shipped container leaves the active list. */
export const CONTAINER_OK = 'OK';
const CONTAINER_SHIPPED = 'Shipped';

/** Containers seeded per part, each holding one standard pack, so every seeded part has stock. */
export const CONTAINERS_PER_PART = 40;

const CODE_MAX = 50;
const SERIAL_MAX = 25;
const HOUR = 3_600_000;

export interface InventoryCounters {
  inventoryShipmentsCreated: number;
  inventoryShipmentsShipped: number;
  /** Part number -> quantity that left stock through shipped inventory shipments. */
  quantityRemovedByPart: Record<string, number>;
}

/** A UUID-shaped id derived from a string, so a tenant's stock location is the same every run. */
function derivedUuid(value: string): string {
  const h = createHash('sha256').update(value).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** One tenant's stock and inventory shipments. */
export class InventoryData {
  readonly containers = new Map<string, InventoryContainer>();
  readonly shipments = new Map<string, InventoryShipment>();
  readonly location: { id: string; code: string };
  created = 0;
  shipped = 0;
  readonly removedByPart = new Map<string, number>();
  private nextSerial = 1;

  constructor(private readonly tenantId: string) {
    this.location = { id: derivedUuid(`${tenantId}:stock`), code: 'MAIN-STOCK' };
  }

  /** Seed `count` full containers of a part, added an hour apart (oldest first), so FIFO has an order. */
  stockPart(part: Part, packQuantity: number, stamp: string, count = CONTAINERS_PER_PART): void {
    const at = Date.parse(stamp);
    for (let i = 0; i < count; i++) {
      const serialNo = `CT${String(this.nextSerial++).padStart(8, '0')}`;
      const added = new Date(at - (count - i) * HOUR).toISOString();
      this.containers.set(serialNo, {
        serialNo,
        partId: part.id,
        partNo: part.number,
        revision: part.revision,
        partNoRevision: `${part.number}-${part.revision}`,
        partName: part.name,
        containerStatus: CONTAINER_OK,
        locationId: this.location.id,
        location: this.location.code,
        quantity: packQuantity,
        quantityInventoryUnit: 'Ea',
        containerType: 'Carton',
        inventoryType: part.type,
        addDateTime: added,
        updateDateTime: added,
      });
    }
  }

  active(): InventoryContainer[] {
    return [...this.containers.values()].filter((c) => c.containerStatus !== CONTAINER_SHIPPED);
  }

  /** Sum of the active containers' quantities of a part. */
  onHand(partId: string): number {
    return this.active()
      .filter((c) => c.partId === partId)
      .reduce((n, c) => n + c.quantity, 0);
  }

  counters(): InventoryCounters {
    return {
      inventoryShipmentsCreated: this.created,
      inventoryShipmentsShipped: this.shipped,
      quantityRemovedByPart: Object.fromEntries(this.removedByPart),
    };
  }

  /** The open (not shipped) shipment a container is staged on, if any. */
  private stagedOn(serialNo: string): InventoryShipment | undefined {
    return [...this.shipments.values()].find(
      (s) =>
        s.shipmentStatus !== SHIPMENT_STATUS.shipped && s.containers.some((c) => c.serialNo === serialNo),
    );
  }

  create(body: unknown, stamp: string): { shipment: InventoryShipment; ignored: string[] } {
    const fields = objectBody(body);
    const code = fields.externalShipmentCode;
    if (code !== undefined && (typeof code !== 'string' || code.length > CODE_MAX)) {
      throw errors.validation([
        {
          code: 'INVALID_FIELD_VALUE',
          message: `externalShipmentCode must be a string of at most ${CODE_MAX} characters.`,
        },
      ]);
    }
    const shipment: InventoryShipment = {
      id: randomUUID(),
      ...(code !== undefined ? { externalShipmentCode: code } : {}),
      shipmentStatus: SHIPMENT_STATUS.unstaged,
      containers: [],
      createdById: this.tenantId,
      createdDate: stamp,
    };
    this.shipments.set(shipment.id, shipment);
    this.created++;
    return { shipment, ignored: Object.keys(fields).filter((k) => k !== 'externalShipmentCode') };
  }

  stage(id: string, body: unknown, stamp: string): { shipment: InventoryShipment; ignored: string[] } {
    const shipment = this.shipments.get(id);
    if (!shipment) throw errors.notFound();
    const fields = objectBody(body);
    const serials = fields.serialNos;
    if (
      !Array.isArray(serials) ||
      serials.length === 0 ||
      !serials.every((s) => typeof s === 'string' && s.length > 0 && s.length <= SERIAL_MAX)
    ) {
      throw errors.validation([
        {
          code: 'INVALID_FIELD_VALUE',
          message: `serialNos must be a non-empty list of serial numbers of at most ${SERIAL_MAX} characters.`,
        },
      ]);
    }
    if (shipment.shipmentStatus === SHIPMENT_STATUS.shipped) throw alreadyShipped();
    const problems: { code: string; message: string }[] = [];
    for (const serialNo of new Set(serials as string[])) {
      const container = this.containers.get(serialNo);
      const holder = this.stagedOn(serialNo);
      if (!container || container.containerStatus === CONTAINER_SHIPPED) {
        problems.push({ code: 'CONTAINER_NOT_ACTIVE', message: `Container ${serialNo} is not active.` });
      } else if (holder && holder !== shipment) {
        problems.push({
          code: 'CONTAINER_ALREADY_STAGED',
          message: `Container ${serialNo} is staged on another inventory shipment.`,
        });
      }
    }
    if (problems.length > 0) throw errors.validation(problems);
    for (const serialNo of new Set(serials as string[])) {
      if (shipment.containers.some((c) => c.serialNo === serialNo)) continue;
      shipment.containers.push({ serialNo, createdById: this.tenantId, createdDate: stamp });
    }
    shipment.shipmentStatus = SHIPMENT_STATUS.staged;
    return { shipment, ignored: Object.keys(fields).filter((k) => k !== 'serialNos') };
  }

  /** Ship the staged containers: they leave stock whole. Refused when shipped before or stock is gone. */
  ship(id: string, stamp: string): InventoryShipment {
    const shipment = this.shipments.get(id);
    if (!shipment) throw errors.notFound();
    if (shipment.shipmentStatus === SHIPMENT_STATUS.shipped) throw alreadyShipped();
    if (shipment.containers.length === 0) {
      throw errors.validation([
        { code: 'SHIPMENT_NOT_STAGED', message: 'The inventory shipment has no staged containers.' },
      ]);
    }
    const containers = shipment.containers.map((c) => this.containers.get(c.serialNo));
    const gone = shipment.containers.filter((_, i) => containers[i]?.containerStatus !== CONTAINER_OK);
    if (gone.length > 0) {
      throw errors.validation(
        gone.map((c) => ({
          code: 'INSUFFICIENT_INVENTORY',
          message: `Container ${c.serialNo} is no longer in stock.`,
        })),
      );
    }
    for (const container of containers as InventoryContainer[]) {
      container.containerStatus = CONTAINER_SHIPPED;
      container.updateDateTime = stamp;
      this.removedByPart.set(
        container.partNo,
        (this.removedByPart.get(container.partNo) ?? 0) + container.quantity,
      );
    }
    shipment.shipmentStatus = SHIPMENT_STATUS.shipped;
    this.shipped++;
    return shipment;
  }
}

function alreadyShipped() {
  return errors.validation([
    { code: 'SHIPMENT_ALREADY_SHIPPED', message: 'The inventory shipment has already been shipped.' },
  ]);
}

function objectBody(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw errors.validation([{ code: 'INVALID_BODY', message: 'The request body must be a JSON object.' }]);
  }
  return body as Record<string, unknown>;
}

const containerFilters: Filter<InventoryContainer>[] = [
  eq('partId'),
  eq('locationId'),
  // Seeded containers have no master unit, lot or EUN: filtering on one matches nothing.
  eq('masterUnitId'),
  eq('lotId'),
  eq('eun'),
  eq('inventoryType'),
];

const shipmentFilters: Filter<InventoryShipment>[] = [eq('externalShipmentCode'), eq('shipmentStatus')];

const copy = <T>(value: T): T => structuredClone(value);

export const INVENTORY_ROUTES: Route[] = [
  {
    method: 'GET',
    template: '/inventory/v1/inventory-tracking/containers',
    resource: 'containers',
    list: true,
    handle: (c: RouteContext) => applyFilters(c.data.inventory.active(), c.query, containerFilters).map(copy),
  },
  {
    method: 'GET',
    template: '/inventory/v1/inventory-shipping/shipments',
    resource: 'inventoryShipments',
    list: true,
    handle: (c) => applyFilters([...c.data.inventory.shipments.values()], c.query, shipmentFilters).map(copy),
  },
  {
    method: 'GET',
    template: '/inventory/v1/inventory-shipping/shipments/{id}',
    resource: 'inventoryShipments',
    list: false,
    handle: (c) => {
      const shipment = c.data.inventory.shipments.get(c.params.id!);
      if (!shipment) throw errors.notFound();
      return copy(shipment);
    },
  },
  {
    method: 'POST',
    template: '/inventory/v1/inventory-shipping/shipments',
    resource: 'inventoryShipmentWrites',
    list: false,
    status: 201,
    handle: (c) => {
      const { shipment, ignored } = c.data.inventory.create(c.body, c.data.stamp());
      c.wrote(undefined, ignored);
      return copy(shipment);
    },
  },
  {
    method: 'POST',
    template: '/inventory/v1-beta1/inventory-shipping/shipments/{id}/stage',
    resource: 'inventoryShipmentWrites',
    list: false,
    status: 202,
    handle: (c) => {
      const { shipment, ignored } = c.data.inventory.stage(c.params.id!, c.body, c.data.stamp());
      c.wrote(undefined, ignored);
      return copy(shipment);
    },
  },
  {
    method: 'POST',
    template: '/inventory/v1-beta1/inventory-shipping/shipments/{id}/ship',
    resource: 'inventoryShipmentWrites',
    list: false,
    status: 202,
    handle: (c) => {
      const shipment = c.data.inventory.ship(c.params.id!, c.data.stamp());
      c.wrote(undefined, []);
      return copy(shipment);
    },
  },
];

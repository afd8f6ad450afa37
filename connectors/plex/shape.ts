// Plex answers checked at the edge. Every record the connector reads must be a JSON object with its
// key (id, or serialNo for containers) as text, and every field the connector reads must have the
// JSON type the Connect spec gives it (wire.ts); null or absent is fine, Plex omits fields freely.
// Fields the connector does not read are not looked at. A record that fails says which field has
// which type, so the error names what Plex sent instead of surfacing later as a TypeError deep in
// the mapping.

type Kind = 'text' | 'number' | 'flag' | 'records';

export interface RecordShape {
  /** What the record is, for messages ("sales order"). */
  what: string;
  key?: 'id' | 'serialNo';
  fields: Readonly<Record<string, Kind>>;
}

const text = (...names: string[]) => Object.fromEntries(names.map((n) => [n, 'text' as const]));

export const PLEX_RECORD = {
  order: {
    what: 'sales order',
    key: 'id',
    fields: text(
      'customerId',
      'orderNumber',
      'poNumber',
      'status',
      'type',
      'orderDate',
      'billToAddressId',
      'shipToAddressId',
      'carrierId',
      'carrier',
      'buildingId',
      'note',
      'freightTerms',
      'createdDate',
      'modifiedDate',
    ),
  },
  orderLine: {
    what: 'order line',
    key: 'id',
    fields: {
      ...text('orderId', 'partId', 'customerPartId', 'lineNumber', 'note', 'containerType', 'modifiedDate'),
      standardPackQuantity: 'number',
      active: 'flag',
    },
  },
  release: {
    what: 'release',
    key: 'id',
    fields: {
      ...text(
        'releaseNumber',
        'orderLineId',
        'type',
        'shipToAddressId',
        'shipDate',
        'dueDate',
        'status',
        'partNumber',
        'modifiedDate',
      ),
      quantity: 'number',
      quantityShipped: 'number',
    },
  },
  customer: { what: 'customer', key: 'id', fields: text('code', 'name', 'status', 'phone', 'email') },
  address: {
    what: 'customer address',
    key: 'id',
    fields: {
      ...text('code', 'name', 'address', 'city', 'state', 'zip', 'country', 'phone', 'email'),
      shipTo: 'flag',
      active: 'flag',
    },
  },
  part: { what: 'part', key: 'id', fields: text('number', 'name', 'revision', 'description', 'status') },
  shippingDetails: {
    what: 'part shipping details record',
    fields: { ...text('partId', 'partNumber', 'weightUnit'), partPieceWeight: 'number' },
  },
  shipper: {
    what: 'customer shipper',
    key: 'id',
    fields: text(
      'shipperNumber',
      'customerId',
      'customerAddressId',
      'shipDate',
      'carrierId',
      'status',
      'trackingNumber',
      'shipperNote',
      'scheduledShipDate',
      'deliveryDateTime',
      'modifiedDate',
    ),
  },
  shipperLine: {
    what: 'customer shipper line',
    key: 'id',
    fields: { ...text('shipperId', 'partId', 'releaseId'), quantity: 'number' },
  },
  tenant: { what: 'tenant', key: 'id', fields: text('code') },
  container: {
    what: 'container',
    key: 'serialNo',
    fields: {
      ...text('partId', 'partNo', 'containerStatus', 'location', 'addDateTime'),
      quantity: 'number',
    },
  },
  inventoryShipment: {
    what: 'inventory shipment',
    key: 'id',
    fields: { ...text('externalShipmentCode', 'shipmentStatus', 'createdDate'), containers: 'records' },
  },
} satisfies Record<string, RecordShape>;

const EXPECTED: Record<Kind, string> = {
  text: 'text',
  number: 'a number',
  flag: 'true or false',
  records: 'a list of objects',
};

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return 'text';
  return `a ${typeof value}`;
}

function fits(value: unknown, kind: Kind): boolean {
  switch (kind) {
    case 'text':
      return typeof value === 'string';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'flag':
      return typeof value === 'boolean';
    case 'records':
      return Array.isArray(value) && value.every(isObject);
  }
}

/** What is wrong with `value` as a record of this shape ("has status of type a number ..."), or undefined. */
export function shapeProblem(value: unknown, shape: RecordShape): string | undefined {
  if (!isObject(value)) return `is ${jsonType(value)}, not a JSON object`;
  if (shape.key) {
    const key = value[shape.key];
    if (typeof key !== 'string' || key === '') return `has no ${shape.key} as text`;
  }
  for (const [field, kind] of Object.entries(shape.fields)) {
    const v = value[field];
    if (v === undefined || v === null || fits(v, kind)) continue;
    return `has ${field} as ${jsonType(v)} (expected ${EXPECTED[kind]})`;
  }
  return undefined;
}

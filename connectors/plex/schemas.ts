// Plex answers checked at the edge, with zod. Every record the connector reads must be a JSON
// object with its key (id, or serialNo for containers) as text, and every field the connector reads
// must have the JSON type the Connect spec gives it (wire.ts); null or absent is fine, Plex omits
// fields freely. Fields the connector does not read pass unlooked-at. A record that fails says which
// field has which type, so the error names what Plex sent instead of surfacing later as a TypeError
// deep in the mapping.
import { z } from 'zod';
import { fieldName } from '../kit/answers';

const text = z.string().nullish();
const num = z.number().nullish();
const flag = z.boolean().nullish();
const key = z.string().min(1);

/** The connector's fields of a record, all text unless named otherwise. */
function record(
  keyField: 'id' | 'serialNo' | undefined,
  texts: readonly string[],
  others: Record<string, z.ZodType> = {},
) {
  return z.looseObject({
    ...(keyField ? { [keyField]: key } : {}),
    ...Object.fromEntries(texts.map((n) => [n, text])),
    ...others,
  });
}

export interface PlexRecord {
  /** What the record is, for messages ("sales order"). */
  what: string;
  schema: z.ZodType;
}

export const PLEX_RECORD = {
  order: {
    what: 'sales order',
    schema: record('id', [
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
    ]),
  },
  orderLine: {
    what: 'order line',
    schema: record(
      'id',
      ['orderId', 'partId', 'customerPartId', 'lineNumber', 'note', 'containerType', 'modifiedDate'],
      { standardPackQuantity: num, active: flag },
    ),
  },
  release: {
    what: 'release',
    schema: record(
      'id',
      [
        'releaseNumber',
        'orderLineId',
        'type',
        'shipToAddressId',
        'shipDate',
        'dueDate',
        'status',
        'partNumber',
        'modifiedDate',
      ],
      { quantity: num, quantityShipped: num },
    ),
  },
  customer: { what: 'customer', schema: record('id', ['code', 'name', 'status', 'phone', 'email']) },
  address: {
    what: 'customer address',
    schema: record('id', ['code', 'name', 'address', 'city', 'state', 'zip', 'country', 'phone', 'email'], {
      shipTo: flag,
      active: flag,
    }),
  },
  part: { what: 'part', schema: record('id', ['number', 'name', 'revision', 'description', 'status']) },
  shippingDetails: {
    what: 'part shipping details record',
    schema: record(undefined, ['partId', 'partNumber', 'weightUnit', 'harmonizedTariffCode'], {
      partPieceWeight: num,
    }),
  },
  linePrice: {
    what: 'sales order line price',
    schema: record(
      'id',
      ['orderLineId', 'effectiveDate', 'expirationDate', 'shipToAddressId', 'unit', 'currencyCode'],
      { price: num, breakpointQuantity: num, active: flag, primaryPrice: flag },
    ),
  },
  shipper: {
    what: 'customer shipper',
    schema: record('id', [
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
    ]),
  },
  shipperLine: {
    what: 'customer shipper line',
    schema: record('id', ['shipperId', 'partId', 'releaseId'], { quantity: num }),
  },
  tenant: { what: 'tenant', schema: record('id', ['code']) },
  container: {
    what: 'container',
    schema: record('serialNo', ['partId', 'partNo', 'containerStatus', 'location', 'addDateTime'], {
      quantity: num,
    }),
  },
  inventoryShipment: {
    what: 'inventory shipment',
    schema: record('id', ['externalShipmentCode', 'shipmentStatus', 'createdDate'], {
      containers: z.array(z.looseObject({})).nullish(),
    }),
  },
} satisfies Record<string, PlexRecord>;

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return 'text';
  return `a ${typeof value}`;
}

/**
 * What is wrong with `value` as this record ("has status as a number: expected string"), or
 * undefined when it fits. Names the field and what came, never the value itself.
 */
export function recordProblem(value: unknown, shape: PlexRecord): string | undefined {
  const result = shape.schema.safeParse(value);
  if (result.success) return undefined;
  const issue = result.error.issues[0]!;
  if (issue.path.length === 0) return `is ${jsonType(value)}, not a JSON object`;
  const field = fieldName(issue.path);
  let got: unknown = value;
  for (const k of issue.path) got = (got as Record<PropertyKey, unknown> | undefined)?.[k];
  return `has ${field} as ${jsonType(got)} (${issue.message.replace(/^Invalid input: /, '')})`;
}

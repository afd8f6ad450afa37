import { errors } from './errors';
import { parsePlexDate } from './query';
import type { SalesOrder, Shipper } from './wire';

type Kind = 'string' | 'uuid' | 'dateTime' | 'date' | 'time' | 'number' | 'integer' | 'boolean';

/** One writable request field: its type in the spec, and the response field it lands in. */
interface WriteField<T> {
  kind: Kind;
  target?: keyof T;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const TIME = /^([01]\d|2[0-3]):[0-5]\d:[0-5]\d$/;

/**
 * customer_shippers_api_Update_Shipper_request. The request names a few fields differently from
 * the response (deliveryDate -> deliveryDateTime, chargeAmount -> shipperChargeAmount, ...).
 */
export const SHIPPER_FIELDS: Record<string, WriteField<Shipper>> = {
  carrierId: { kind: 'uuid' },
  freightTerms: { kind: 'string' },
  status: { kind: 'string' },
  shipperNumber: { kind: 'string' },
  trackingNumber: { kind: 'string' },
  trailerNumber: { kind: 'string' },
  scheduledShipDate: { kind: 'dateTime' },
  shipperNote: { kind: 'string' },
  truckId: { kind: 'uuid' },
  expediteNote: { kind: 'string' },
  expediteReason: { kind: 'string' },
  expediteDepartmentCode: { kind: 'string', target: 'expediteDepartment' },
  expediteAdditionalCost: { kind: 'number' },
  shipFromId: { kind: 'uuid' },
  truckArrivalTimeOfDay: { kind: 'time' },
  freightAmount: { kind: 'number' },
  bolNote: { kind: 'string' },
  customsExporter: { kind: 'string' },
  deliveryDate: { kind: 'dateTime', target: 'deliveryDateTime' },
  dropshipSupplierId: { kind: 'uuid' },
  chargeAmount: { kind: 'number', target: 'shipperChargeAmount' },
  masterBolNumber: { kind: 'string', target: 'masterBolNo' },
  pallets: { kind: 'integer' },
  premiumTransAuth: { kind: 'string' },
  truckConfirmation: { kind: 'string' },
  truckCalledDate: { kind: 'date' },
  grossWeightOverride: { kind: 'number' },
  mrn: { kind: 'string' },
  mrnDate: { kind: 'date' },
  mrnType: { kind: 'string' },
  routingAuthorizationNumber: { kind: 'string' },
};

/** The writable subset of sales_orders_api_Update_Customer_Purchase_Order_request the simulator keeps. */
export const ORDER_FIELDS: Record<string, WriteField<SalesOrder>> = {
  poNumber: { kind: 'string' },
  status: { kind: 'string' },
  type: { kind: 'string' },
  category: { kind: 'string' },
  terms: { kind: 'string' },
  fob: { kind: 'string' },
  freightTerms: { kind: 'string' },
  orderDate: { kind: 'dateTime' },
  carrier: { kind: 'string' },
  note: { kind: 'string' },
  multipleDocksPerShipper: { kind: 'boolean' },
  multiplePOPerShipper: { kind: 'boolean' },
};

function typeProblem(name: string, kind: Kind, value: unknown): string | undefined {
  switch (kind) {
    case 'string':
      return typeof value === 'string' ? undefined : `${name} must be a string.`;
    case 'uuid':
      return typeof value === 'string' && UUID.test(value) ? undefined : `${name} must be a UUID.`;
    case 'dateTime':
      return typeof value === 'string' && parsePlexDate(value) !== undefined
        ? undefined
        : `${name} must be a UTC date and time in the format YYYY-MM-DDThh:mm[:ss[.fffffff]]Z.`;
    case 'date':
      return typeof value === 'string' && DATE.test(value) && !Number.isNaN(Date.parse(value))
        ? undefined
        : `${name} must be a date in the format YYYY-MM-DD.`;
    case 'time':
      return typeof value === 'string' && TIME.test(value)
        ? undefined
        : `${name} must be a time in the format hh:mm:ss.`;
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? undefined : `${name} must be a number.`;
    case 'integer':
      return Number.isInteger(value) ? undefined : `${name} must be an integer.`;
    case 'boolean':
      return typeof value === 'boolean' ? undefined : `${name} must be true or false.`;
  }
}

export interface CheckedWrite {
  /** Response-field name -> value, ready to merge into the record. */
  changes: Record<string, unknown>;
  /** Request fields the endpoint does not know; Plex ignores them, and so does the simulator. */
  ignored: string[];
}

/**
 * Check a PUT body against the request schema's field types. Every problem is reported in one 400.
 * Dates are normalised to ISO strings with milliseconds, as the simulator answers them.
 */
export function checkWrite<T>(body: unknown, fields: Record<string, WriteField<T>>): CheckedWrite {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw errors.validation([{ code: 'INVALID_BODY', message: 'The request body must be a JSON object.' }]);
  }
  const changes: Record<string, unknown> = {};
  const ignored: string[] = [];
  const problems: { code: string; message: string }[] = [];
  for (const [name, value] of Object.entries(body)) {
    const field = fields[name];
    if (!field) {
      ignored.push(name);
      continue;
    }
    const problem = typeProblem(name, field.kind, value);
    if (problem) {
      problems.push({ code: 'INVALID_FIELD_VALUE', message: problem });
      continue;
    }
    const target = String(field.target ?? name);
    changes[target] =
      field.kind === 'dateTime' ? new Date(parsePlexDate(value as string)!).toISOString() : value;
  }
  if (problems.length > 0) throw errors.validation(problems);
  return { changes, ignored };
}

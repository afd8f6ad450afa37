// The zod schemas every ShipStation answer is read through (the kit's HttpCaller applies them; a
// misfit is a ShipStationUnavailableError naming the operation and the field). They check what the
// connector relies on, let everything else pass through (answers carry many more fields), and
// their messages say what came instead in ShipStation's terms ("the answer has no orders list").
// The TypeScript shapes stay in wire.ts; `as<T>` ties a schema to its wire type.

import { z } from 'zod';
import type {
  SsCreateOrdersResult,
  SsOrder,
  SsShipment,
  SsV2InventoryLevel,
  SsV2Links,
  SsWebhook,
} from './wire';

/** The schema's output read as the wire type: the schema checks the fields the connector uses. */
const as = <T>(schema: z.ZodType) => schema as z.ZodType<T>;

const OBJECT = { error: 'expected a JSON object' } as const;

/** A list element's message: its position, as ShipStation's support would count it. */
const listItem = (iss: { path?: PropertyKey[] }) =>
  `item ${String(iss.path?.at(-1) ?? '?')} of the list is not a JSON object`;

const text = z.string().nullish();
const count = z.number().nullish();

const orderFields = {
  orderId: z.number(),
  orderNumber: text,
  orderKey: text,
  orderStatus: text,
};

/** GET /orders/{id}: an order. */
export const orderAnswer = as<SsOrder>(z.looseObject(orderFields, OBJECT));

/** POST /orders/createorder: the order as saved; without an orderId nothing is known of it. */
export const savedOrderAnswer = as<SsOrder>(
  z.looseObject(
    {
      ...orderFields,
      orderId: z.number({ error: 'ShipStation answered without an order (no numeric orderId)' }),
    },
    OBJECT,
  ),
);

const shipmentItem = z.looseObject(
  {},
  {
    error: (iss) =>
      `shipment ${String(iss.path?.[1] ?? '?')} has shipmentItems that is not a list of objects`,
  },
);

const shipment = z.looseObject(
  {
    shipmentId: z.union([z.number(), z.string()], { error: 'expected a number or text' }),
    orderId: count,
    orderKey: text,
    orderNumber: text,
    createDate: text,
    shipDate: text,
    shipmentCost: count,
    insuranceCost: count,
    trackingNumber: text,
    isReturnLabel: z.boolean().nullish(),
    carrierCode: text,
    serviceCode: text,
    voided: z.boolean().nullish(),
    voidDate: text,
    shipmentItems: z
      .array(shipmentItem, {
        error: (iss) =>
          `shipment ${String(iss.path?.[1] ?? '?')} has shipmentItems that is not a list of objects`,
      })
      .nullish(),
  },
  { error: listItem },
);

/** A V1 list page: `{ <collection>: [...], total, page, pages }`. */
export type V1Page<K extends string, T> = {
  total?: number | null;
  page?: number | null;
  pages?: number | null;
} & Record<K, T[]>;

function v1Page<K extends string, T>(collection: K, item: z.ZodType) {
  return as<V1Page<K, T>>(
    z.looseObject(
      {
        [collection]: z.array(item, { error: `the answer has no ${collection} list` }),
        total: count,
        page: count,
        pages: count,
      },
      OBJECT,
    ),
  );
}

export const ordersPage = v1Page<'orders', SsOrder>(
  'orders',
  z.looseObject(orderFields, { error: listItem }),
);
export const shipmentsPage = v1Page<'shipments', SsShipment>('shipments', shipment);

/** POST /orders/createorders. A result that is not one is null: its order fails, the others stand. */
export const createOrdersAnswer = as<{
  hasErrors?: boolean | null;
  results: Array<SsCreateOrdersResult | null>;
}>(
  z.looseObject(
    {
      hasErrors: z.boolean().nullish(),
      results: z.array(
        z
          .looseObject({
            orderId: count,
            orderNumber: text,
            orderKey: text,
            success: z.boolean(),
            errorMessage: text,
          })
          .nullable()
          .catch(null),
        { error: 'the answer has no results list' },
      ),
    },
    OBJECT,
  ),
);

/** GET /webhooks (PascalCase records). No list is read as none. */
export const webhooksAnswer = as<{ webhooks?: SsWebhook[] | null }>(
  z.looseObject(
    {
      webhooks: z
        .array(
          z.looseObject(
            { WebHookID: z.number(), HookType: z.string(), Url: z.string() },
            { error: listItem },
          ),
        )
        .nullish(),
    },
    OBJECT,
  ),
);

const webhookId = z.number({ error: 'the webhook id is not a number' }).nullish();

/** POST /webhooks/subscribe: `{id}` in the older docs, `{WebHookID}` in the newer. */
export const subscribeAnswer = as<{ id?: number | null; WebHookID?: number | null }>(
  z
    .looseObject({ id: webhookId, WebHookID: webhookId }, OBJECT)
    .refine((b) => b.id != null || b.WebHookID != null, {
      error: 'ShipStation answered without a webhook id',
    }),
);

const hasSku = (row: unknown) =>
  typeof row === 'object' && row !== null && typeof (row as { sku?: unknown }).sku === 'string';

/**
 * GET /v2/inventory. Rows that are not objects or carry no SKU are left out (nothing can be done
 * with them); a SKU's row with a count that is not a number fails the page.
 */
export const inventoryPage = as<{
  inventory?: SsV2InventoryLevel[] | null;
  total?: number | null;
  page?: number | null;
  pages?: number | null;
  links?: SsV2Links | null;
}>(
  z.looseObject(
    {
      inventory: z.preprocess(
        (rows) => (Array.isArray(rows) ? rows.filter(hasSku) : rows),
        z
          .array(
            z.looseObject({
              sku: z.string(),
              on_hand: count,
              allocated: count,
              available: count,
              inventory_warehouse_id: text,
              inventory_location_id: text,
            }),
            { error: 'the answer has no inventory list' },
          )
          .nullish(),
      ),
      total: count,
      page: count,
      pages: count,
      links: z.looseObject({ next: z.looseObject({ href: text }).nullish() }).nullish(),
    },
    OBJECT,
  ),
);

/** Answers read for their status only (204s, deletes, connection probes). */
export const anyAnswer = z.unknown();

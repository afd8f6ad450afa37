// Malformed ShipStation answers (V1 orders, shipments, bulk create, webhooks; V2 inventory) against
// the real ShipStationClient over HTTP. See corpus.ts for the cases and answer-suite.ts for what
// each must show.

import {
  ShipStationClient,
  type CreateOrdersItemResult,
  type ShipStationAuditEntry,
} from '../../connectors/shipstation/client';
import { ShipStationError } from '../../connectors/shipstation/errors';
import type { SsOrderInput } from '../../connectors/shipstation/wire';
import { unlimited } from '../../lib/ratelimit';
import { answerSuite, type Operation } from './answer-suite';
import { jsonReply, SHIPSTATION_SHAPES } from './corpus';
import type { Reply, SeenRequest } from './scripted-http';

const V1_KEY = 'corpus-ss-v1-key-2c9e41';
const V1_SECRET = 'corpus-ss-v1-secret-8d0f13';
const V2_KEY = 'corpus-ss-v2-key-6a7b52';
const BASIC = Buffer.from(`${V1_KEY}:${V1_SECRET}`).toString('base64');

const ORDER: SsOrderInput = {
  orderNumber: '100123',
  orderKey: 'mlc:plex-main:o-1',
  orderDate: '2026-11-21 09:00:00',
  orderStatus: 'awaiting_shipment',
  billTo: { name: 'Acme Corp' },
  shipTo: {
    name: 'Receiving',
    street1: '1 Main St',
    city: 'Austin',
    state: 'TX',
    postalCode: '78701',
    country: 'US',
  },
  items: [{ lineItemKey: 'L1', sku: 'BRKT-100', name: 'Bracket', quantity: 4 }],
  advancedOptions: { customField1: '100123' },
};

const saved = {
  orderId: 1001,
  orderNumber: '100123',
  orderKey: ORDER.orderKey,
  orderStatus: 'awaiting_shipment',
};

function page(req: SeenRequest, collection: string, items: unknown[]): Reply {
  const p = Number(new Map(req.query).get('page') ?? 1);
  return jsonReply({ [collection]: p === 1 ? items : [], total: items.length, page: p, pages: 1 });
}

function good(req: SeenRequest): Reply {
  if (/^\/orders\/\d+$/.test(req.path)) return jsonReply(saved);
  switch (`${req.method} ${req.path}`) {
    case 'GET /orders':
      return page(req, 'orders', [saved]);
    case 'POST /orders/createorder':
      return jsonReply(saved);
    case 'POST /orders/createorders': {
      const list = JSON.parse(req.body) as SsOrderInput[];
      return jsonReply({
        hasErrors: false,
        results: list.map((o, i) => ({
          orderId: 2000 + i,
          orderNumber: o.orderNumber,
          orderKey: o.orderKey,
          success: true,
          errorMessage: null,
        })),
      });
    }
    case 'GET /shipments':
      return page(req, 'shipments', [
        {
          shipmentId: 7,
          orderId: 1001,
          orderKey: ORDER.orderKey,
          createDate: '2026-11-21T10:00:00.0000000',
          shipDate: '2026-11-21',
          trackingNumber: '1Z999AA10123456784',
          carrierCode: 'ups',
          shipmentItems: [{ sku: 'BRKT-100', quantity: 4 }],
        },
      ]);
    case 'POST /webhooks/subscribe':
      return jsonReply({ id: 12 });
    case 'GET /v2/inventory':
      return jsonReply({
        inventory: [{ sku: 'BRKT-100', on_hand: 5, allocated: 1, available: 4 }],
        total: 1,
        page: 1,
        pages: 1,
        links: {},
      });
    default:
      return jsonReply({ Message: 'No HTTP resource was found' }, 404);
  }
}

const failures = (result: unknown) =>
  (result as CreateOrdersItemResult[]).filter((r) => !r.success).map((r) => r.errorMessage ?? '');

const ops: Record<string, Operation<ShipStationClient>> = {
  getOrder: {
    label: /^ShipStation (V1 )?getOrder\b/,
    route: /^\/orders\/\d+$/,
    run: (c) => c.getOrder(1001),
    slowProbe: true,
  },
  findOrderByKey: {
    label: /^ShipStation (V1 )?listOrders\b/,
    route: /^\/orders$/,
    run: (c) => c.findOrderByKey(ORDER.orderKey, ORDER.orderNumber),
  },
  listShipments: {
    label: /^ShipStation (V1 )?listShipments\b/,
    route: /^\/shipments$/,
    run: (c) => c.listShipments({ shipDateStart: '2026-11-20T00:00:00Z' }),
  },
  createOrders: {
    label: /^ShipStation (V1 )?createOrders\b/,
    route: /^\/orders\/createorders$/,
    run: (c) => c.createOrders([ORDER, { ...ORDER, orderKey: 'mlc:plex-main:o-2', orderNumber: '100124' }]),
    itemFailures: failures,
  },
  subscribeWebhook: {
    label: /^ShipStation (V1 )?(subscribeWebhook\b|webhooks\/subscribe)/,
    route: /^\/webhooks\/subscribe$/,
    run: (c) => c.subscribeWebhook({ targetUrl: 'https://example.invalid/hook', event: 'SHIP_NOTIFY' }),
  },
  listInventory: {
    label: /^ShipStation (V2 )?listInventory\b/,
    route: /^\/v2\/inventory$/,
    run: (c) => c.listInventory({ sku: 'BRKT-100' }),
    slowProbe: true,
  },
  updateExistingOrder: {
    label: /^ShipStation\b/,
    route: /^\/orders\/\d+$/,
    run: (c) => c.createOrUpdateOrder(ORDER, { existingOrderId: 1001 }),
    shapesOnly: true,
  },
  getByResourceUrl: {
    label: /^ShipStation (V1 )?getResourceShipments\b/,
    route: /^\/shipments$/,
    run: (c) => c.getByResourceUrl(`${baseUrlOf(c)}/shipments?batchId=144015674&includeShipmentItems=False`),
    shapesOnly: true,
  },
};

const baseUrls = new WeakMap<ShipStationClient, string>();
const baseUrlOf = (c: ShipStationClient) => baseUrls.get(c)!;

answerSuite<ShipStationClient>({
  title: 'bad input: malformed ShipStation answers',
  ops,
  shapes: SHIPSTATION_SHAPES,
  good,
  client: (baseUrl, log, timeoutMs) => {
    const audit: ShipStationAuditEntry[] = [];
    const client = new ShipStationClient({
      connection: 'shipstation-corpus',
      v1BaseUrl: baseUrl,
      v2BaseUrl: baseUrl,
      apiKey: V1_KEY,
      apiSecret: V1_SECRET,
      v2ApiKey: V2_KEY,
      limiter: unlimited,
      timeoutMs,
      log,
      audit: async (e) => {
        audit.push(e);
      },
      random: () => 0,
      sleep: async () => undefined,
    });
    baseUrls.set(client, baseUrl);
    return { client, secrets: () => [V1_KEY, V1_SECRET, V2_KEY, BASIC], audit: () => audit };
  },
  isTyped: (e) => e instanceof ShipStationError,
  typeFor: (outcome) => (outcome === 'auth' ? 'ShipStationAuthError' : 'ShipStationUnavailableError'),
});

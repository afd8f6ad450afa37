// The bad-input corpus (issue #6): malformed webhook bodies, forged signatures, oversized payloads
// and malformed API answers, as data. The test files next to this one run every case against the
// real HTTP server and receiver routes, the real verifiers and the real system clients, and check
// that each gets a clear, typed error (never a crash, a hang or a 5xx for the caller's fault).

import type { Reply, SeenRequest } from './scripted-http';

// ================================================================== helpers for the data

const HTML_PAGE = (title: string) =>
  `<!DOCTYPE html>\n<html><head><title>${title}</title></head><body><h1>${title}</h1>` +
  '<p>The server encountered a temporary error and could not complete your request.</p>' +
  '<hr><address>nginx</address></body></html>\n';

const raw = (status: number, contentType: string | null, body: string | Buffer): Reply => ({
  kind: 'raw',
  status,
  headers: contentType ? { 'content-type': contentType } : {},
  body,
});

export const jsonReply = (body: unknown, status = 200): Reply =>
  raw(status, 'application/json', JSON.stringify(body));

/** Everything a request carried that could be a credential: auth headers and the form body. */
export function credentialsOf(req: SeenRequest): string {
  const h = req.headers;
  return [h.authorization, h['x-plex-connect-api-key'], h['api-key'], req.body]
    .filter((v): v is string => typeof v === 'string' && v !== '')
    .join(' | ');
}

// ================================================================== malformed API answers

/**
 * What a malformed answer must end in, by the connector's own error classes:
 * - unreadable: 2xx, but not the JSON the client needs -> <System>UnavailableError (retryable; a
 *   proxy or a half-deployed API answered), the message says what was missing or of the wrong type;
 * - unavailable: 5xx from the system or a proxy in front of it -> <System>UnavailableError;
 * - auth: 401 from a gateway -> <System>AuthError (not retryable);
 * - timeout / network: no (complete) answer -> <System>UnavailableError with `transport` set;
 * - too_large: a body larger than the client reads -> <System>UnavailableError without `transport`
 *   (the server answered), reading stopped at the cap, the request not sent again;
 * - item_failure: the call itself succeeds; each item of a bulk answer is reported as failed.
 */
export type Outcome = 'unreadable' | 'unavailable' | 'auth' | 'timeout' | 'network' | 'too_large';

export interface AnswerCase {
  name: string;
  reply: Reply | ((req: SeenRequest) => Reply);
  outcome: Outcome;
  /** What the message must say, after naming the system and the operation. */
  says: RegExp;
  /** Waits for a timeout or moves tens of MB: run against one operation per API, not all of them. */
  slow?: boolean;
  /** The answer is acceptable for operations that expect no body (skip those). */
  emptyOk?: boolean;
  /** Client timeout for this case, when the default would end it before what it tests. */
  clientTimeoutMs?: number;
}

/** The client timeout the tests configure: the slow cases must end shortly after it. */
export const CLIENT_TIMEOUT_MS = 800;
/** More than lib/http.ts reads of one answer. */
export const GIGANTIC_BYTES = 80 * 1024 * 1024;

/** Answers that are wrong for every operation whose answer must be a JSON object or list. */
export const GENERIC_ANSWERS: AnswerCase[] = [
  {
    name: 'HTML error page with HTTP 200',
    reply: raw(200, 'text/html; charset=utf-8', HTML_PAGE('Service Temporarily Unavailable')),
    outcome: 'unreadable',
    says: /not JSON/,
  },
  {
    name: 'HTML error page with HTTP 502',
    reply: raw(502, 'text/html', HTML_PAGE('502 Bad Gateway')),
    outcome: 'unavailable',
    says: /unavailable \(HTTP 502\)/,
  },
  {
    name: 'HTML error page with HTTP 503 and no content type',
    reply: raw(503, null, HTML_PAGE('503 Service Unavailable')),
    outcome: 'unavailable',
    says: /unavailable \(HTTP 503\)/,
  },
  {
    name: 'HTTP 500 whose error message echoes the credentials sent',
    reply: (req) => {
      const echo = `request refused for ${credentialsOf(req)}`;
      return jsonReply(
        { code: 'SERVER.ERROR', message: echo, errors: [{ code: 'SERVER.ERROR', message: echo }] },
        500,
      );
    },
    outcome: 'unavailable',
    says: /unavailable/,
  },
  {
    name: 'HTML login page with HTTP 401 from a gateway',
    reply: raw(401, 'text/html', HTML_PAGE('401 Authorization Required')),
    outcome: 'auth',
    says: /refused|did not authenticate/,
  },
  {
    name: 'XML with HTTP 200 (wrong content type)',
    reply: raw(
      200,
      'application/xml',
      '<?xml version="1.0"?><Error><Code>InternalError</Code><Message>try again</Message></Error>',
    ),
    outcome: 'unreadable',
    says: /not JSON/,
  },
  {
    name: 'JSON cut off halfway',
    reply: raw(200, 'application/json', '{"output":{"transactionShipments":[{"masterTrackingNumber":"79'),
    outcome: 'unreadable',
    says: /not JSON/,
  },
  {
    name: 'empty body with HTTP 200',
    reply: raw(200, 'application/json', ''),
    outcome: 'unreadable',
    says: /not JSON/,
    emptyOk: true,
  },
  {
    name: 'JSON null where an object or list is expected',
    reply: raw(200, 'application/json', 'null'),
    outcome: 'unreadable',
    says: /JSON (object|array)|has no|without/,
  },
  {
    name: 'a bare JSON string where an object or list is expected',
    reply: raw(200, 'application/json', '"OK"'),
    outcome: 'unreadable',
    says: /JSON (object|array)|has no|without/,
  },
  {
    name: 'binary garbage with HTTP 200',
    reply: raw(200, 'application/octet-stream', Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x7b, 0x22, 0x80])),
    outcome: 'unreadable',
    says: /not JSON/,
  },
  {
    name: 'no answer at all',
    reply: { kind: 'hang' },
    outcome: 'timeout',
    says: /timeout/,
    slow: true,
  },
  {
    name: 'a body that trickles and never ends',
    reply: { kind: 'trickle', status: 200, contentType: 'application/json', maxMs: 10_000 },
    outcome: 'timeout',
    says: /timeout/,
    slow: true,
  },
  {
    name: 'connection dropped halfway through the body',
    reply: {
      kind: 'drop',
      status: 200,
      contentType: 'application/json',
      body: JSON.stringify({ output: { padding: 'x'.repeat(4000) } }),
    },
    outcome: 'network',
    says: /network/,
    slow: true,
  },
  {
    name: 'gigantic HTML body (80 MB) with HTTP 200',
    reply: { kind: 'flood', status: 200, contentType: 'text/html', bytes: GIGANTIC_BYTES },
    outcome: 'too_large',
    says: /failed \(too_large\): answer larger than the cap of 67108864 bytes/,
    slow: true,
    // The size limit, not the clock, must end this one, even on a busy machine.
    clientTimeoutMs: 30_000,
  },
];

/** A malformed answer on one route of an otherwise well-behaved server, for one operation. */
export interface ShapeCase {
  name: string;
  /** Operation name, looked up in the test file's operation table. */
  op: string;
  /** Path pattern -> the bad answer; every other route answers well. */
  route: RegExp;
  reply: Reply;
  outcome: Outcome | 'item_failure';
  says: RegExp;
}

// ------------------------------------------------------------------ FedEx

const trackOf = (trackResults: unknown, trackingNumber: unknown = '794600000001') =>
  jsonReply({ output: { completeTrackResults: [{ trackingNumber, trackResults }] } });

const shipOf = (ts: unknown) => jsonReply({ transactionId: 'tx-1', output: { transactionShipments: [ts] } });

const GOOD_LABEL = {
  pieceResponses: [{ packageDocuments: [{ contentType: 'LABEL', encodedLabel: 'JVBERi0=' }] }],
};

export const FEDEX_SHAPES: ShapeCase[] = [
  // token
  {
    name: 'token answer without access_token',
    op: 'token',
    route: /^\/oauth\/token$/,
    reply: jsonReply({ token_type: 'bearer', expires_in: 3600 }),
    outcome: 'unreadable',
    says: /access_token/,
  },
  {
    name: 'access_token is a number',
    op: 'token',
    route: /^\/oauth\/token$/,
    reply: jsonReply({ access_token: 1234567890, token_type: 'bearer', expires_in: 3600 }),
    outcome: 'unreadable',
    says: /access_token/,
  },
  {
    name: 'expires_in is text',
    op: 'token',
    route: /^\/oauth\/token$/,
    reply: jsonReply({ access_token: 'tok-abcdef-123', expires_in: '3600' }),
    outcome: 'unreadable',
    says: /expires_in/,
  },
  {
    name: 'expires_in is negative',
    op: 'token',
    route: /^\/oauth\/token$/,
    reply: jsonReply({ access_token: 'tok-abcdef-123', expires_in: -5 }),
    outcome: 'unreadable',
    says: /expires_in/,
  },
  {
    name: 'expires_in is absurdly large',
    op: 'token',
    route: /^\/oauth\/token$/,
    reply: jsonReply({ access_token: 'tok-abcdef-123', expires_in: 1e308 }),
    outcome: 'unreadable',
    says: /expires_in/,
  },
  // ship
  {
    name: 'ship answer with output null',
    op: 'createShipment',
    route: /^\/ship\/v1\/shipments$/,
    reply: jsonReply({ transactionId: 'tx-1', output: null }),
    outcome: 'unreadable',
    says: /transactionShipments/,
  },
  {
    name: 'transactionShipments is an object, not a list',
    op: 'createShipment',
    route: /^\/ship\/v1\/shipments$/,
    reply: jsonReply({ output: { transactionShipments: { masterTrackingNumber: '794600000001' } } }),
    outcome: 'unreadable',
    says: /transactionShipments/,
  },
  {
    name: 'transactionShipments holds null',
    op: 'createShipment',
    route: /^\/ship\/v1\/shipments$/,
    reply: shipOf(null),
    outcome: 'unreadable',
    says: /transactionShipments/,
  },
  {
    name: 'masterTrackingNumber is a number',
    op: 'createShipment',
    route: /^\/ship\/v1\/shipments$/,
    reply: shipOf({ ...GOOD_LABEL, masterTrackingNumber: 794600000001 }),
    outcome: 'unreadable',
    says: /tracking number/,
  },
  {
    name: 'pieceResponses is text',
    op: 'createShipment',
    route: /^\/ship\/v1\/shipments$/,
    reply: shipOf({ masterTrackingNumber: '794600000001', pieceResponses: 'LABEL' }),
    outcome: 'unreadable',
    says: /unreadable answer/,
  },
  {
    name: 'ship answer without any label',
    op: 'createShipment',
    route: /^\/ship\/v1\/shipments$/,
    reply: shipOf({ masterTrackingNumber: '794600000001' }),
    outcome: 'unreadable',
    says: /no label/,
  },
  // track
  {
    name: 'track answer without output',
    op: 'track',
    route: /^\/track\/v1\/trackingnumbers$/,
    reply: jsonReply({ transactionId: 'tx-1' }),
    outcome: 'unreadable',
    says: /output/,
  },
  {
    name: 'completeTrackResults is an object, not a list',
    op: 'track',
    route: /^\/track\/v1\/trackingnumbers$/,
    reply: jsonReply({ output: { completeTrackResults: { trackingNumber: '794600000001' } } }),
    outcome: 'unreadable',
    says: /completeTrackResults/,
  },
  {
    name: 'completeTrackResults holds null',
    op: 'track',
    route: /^\/track\/v1\/trackingnumbers$/,
    reply: jsonReply({ output: { completeTrackResults: [null] } }),
    outcome: 'unreadable',
    says: /completeTrackResults\[0\]/,
  },
  {
    name: 'trackResults is text',
    op: 'track',
    route: /^\/track\/v1\/trackingnumbers$/,
    reply: trackOf('IT'),
    outcome: 'unreadable',
    says: /completeTrackResults\[0\]/,
  },
  {
    name: 'status code is a number',
    op: 'track',
    route: /^\/track\/v1\/trackingnumbers$/,
    reply: trackOf([{ latestStatusDetail: { code: 42 } }]),
    outcome: 'unreadable',
    says: /unreadable answer/,
  },
  {
    name: 'tracking number is a number',
    op: 'track',
    route: /^\/track\/v1\/trackingnumbers$/,
    reply: trackOf(
      [{ trackingNumberInfo: { trackingNumber: 794600000001 }, latestStatusDetail: { code: 'IT' } }],
      794600000001,
    ),
    outcome: 'unreadable',
    says: /tracking number/,
  },
  {
    name: 'scan date is a number',
    op: 'track',
    route: /^\/track\/v1\/trackingnumbers$/,
    reply: trackOf([{ latestStatusDetail: { code: 'IT' }, scanEvents: [{ date: 20261121 }] }]),
    outcome: 'unreadable',
    says: /unreadable answer/,
  },
  // cancel
  {
    name: 'cancel answer without output',
    op: 'cancel',
    route: /^\/ship\/v1\/shipments\/cancel$/,
    reply: jsonReply({ transactionId: 'tx-1' }),
    outcome: 'unreadable',
    says: /cancelledShipment/,
  },
  {
    name: 'cancelledShipment is text',
    op: 'cancel',
    route: /^\/ship\/v1\/shipments\/cancel$/,
    reply: jsonReply({ output: { cancelledShipment: 'true', message: 'ok' } }),
    outcome: 'unreadable',
    says: /cancelledShipment/,
  },
  // track by reference: a malformed answer must never read as "no such shipment, safe to create"
  {
    name: 'by-reference answer without output',
    op: 'findByReference',
    route: /^\/track\/v1\/referencenumbers$/,
    reply: jsonReply({ transactionId: 'tx-1' }),
    outcome: 'unreadable',
    says: /output/,
  },
  {
    name: 'by-reference answer without completeTrackResults',
    op: 'findByReference',
    route: /^\/track\/v1\/referencenumbers$/,
    reply: jsonReply({ output: {} }),
    outcome: 'unreadable',
    says: /completeTrackResults/,
  },
  {
    name: 'by-reference trackResults is a number',
    op: 'findByReference',
    route: /^\/track\/v1\/referencenumbers$/,
    reply: trackOf(7),
    outcome: 'unreadable',
    says: /completeTrackResults\[0\]/,
  },
];

// ------------------------------------------------------------------ Plex

const UUID = '[0-9a-f-]{36}';
const ORDER_PATH = new RegExp(`^/sales/v1/orders/${UUID}$`);

/** A gigantic list of nulls, about 1.5 MB. */
const NULLS = raw(200, 'application/json', `[${Array.from({ length: 300_000 }, () => 'null').join(',')}]`);

export const PLEX_SHAPES: ShapeCase[] = [
  {
    name: 'order answered as a list',
    op: 'getOrder',
    route: ORDER_PATH,
    reply: jsonReply([{ id: '11111111-1111-4111-8111-111111111111' }]),
    outcome: 'unreadable',
    says: /JSON object/,
  },
  {
    name: 'order without an id',
    op: 'getOrder',
    route: ORDER_PATH,
    reply: jsonReply({ orderNumber: '100123', status: 'Open' }),
    outcome: 'unreadable',
    says: /\bid\b/,
  },
  {
    name: 'order id is a number',
    op: 'getOrder',
    route: ORDER_PATH,
    reply: jsonReply({ id: 100123, status: 'Open' }),
    outcome: 'unreadable',
    says: /\bid\b/,
  },
  {
    name: 'order status is a number',
    op: 'getOrder',
    route: ORDER_PATH,
    reply: jsonReply({ id: '11111111-1111-4111-8111-111111111111', status: 3 }),
    outcome: 'unreadable',
    says: /status/,
  },
  {
    name: 'order list answered as an object',
    op: 'listOrders',
    route: /^\/sales\/v1\/orders$/,
    reply: jsonReply({ data: [], total: 0 }),
    outcome: 'unreadable',
    says: /JSON array/,
  },
  {
    name: 'order list holds null',
    op: 'listOrders',
    route: /^\/sales\/v1\/orders$/,
    reply: jsonReply([null]),
    outcome: 'unreadable',
    says: /item 0/,
  },
  {
    name: 'order list holds a number',
    op: 'listOrders',
    route: /^\/sales\/v1\/orders$/,
    reply: jsonReply([{ id: '11111111-1111-4111-8111-111111111111' }, 42]),
    outcome: 'unreadable',
    says: /item 1/,
  },
  {
    name: 'gigantic order list of nulls',
    op: 'listOrders',
    route: /^\/sales\/v1\/orders$/,
    reply: NULLS,
    outcome: 'unreadable',
    says: /item 0/,
  },
  {
    name: 'ready order whose status is a number',
    op: 'detectReadyOrders',
    route: /^\/sales\/v1\/orders$/,
    reply: jsonReply([
      { id: '11111111-1111-4111-8111-111111111111', status: 1, modifiedDate: '2026-11-20T10:00:00Z' },
    ]),
    outcome: 'unreadable',
    says: /status/,
  },
  {
    name: 'order line whose partId is an object',
    op: 'loadOrder',
    route: new RegExp(`^/sales/v1/orders/${UUID}/lines$`),
    reply: jsonReply([{ id: '44444444-4444-4444-8444-444444444441', partId: { id: 'p1' }, active: true }]),
    outcome: 'unreadable',
    says: /partId/,
  },
  {
    name: 'order line whose active flag is text',
    op: 'loadOrder',
    route: new RegExp(`^/sales/v1/orders/${UUID}/lines$`),
    reply: jsonReply([{ id: '44444444-4444-4444-8444-444444444441', active: 'yes' }]),
    outcome: 'unreadable',
    says: /active/,
  },
  {
    name: 'release quantity is text',
    op: 'loadOrder',
    route: /^\/sales\/v1\/releases$/,
    reply: jsonReply([
      {
        id: '55555555-5555-4555-8555-555555555511',
        orderLineId: '44444444-4444-4444-8444-444444444441',
        quantity: '10',
        status: 'Open',
      },
    ]),
    outcome: 'unreadable',
    says: /quantity/,
  },
  {
    name: 'customer answered as null',
    op: 'loadOrder',
    route: new RegExp(`^/mdm/v1/customers/${UUID}$`),
    reply: jsonReply(null),
    outcome: 'unreadable',
    says: /JSON object/,
  },
  {
    name: 'ship-to zip is a number',
    op: 'loadOrder',
    route: new RegExp(`^/mdm/v1/customers/${UUID}/addresses/${UUID}$`),
    reply: jsonReply({
      id: '33333333-3333-4333-8333-333333333333',
      city: 'Memphis',
      zip: 38116,
      country: 'USA',
    }),
    outcome: 'unreadable',
    says: /zip/,
  },
  {
    name: 'part piece weight is text',
    op: 'loadOrder',
    route: /^\/shipping\/v1-beta1\/inventory\/parts\/[^/]+\/shipping-details$/,
    reply: jsonReply({ partPieceWeight: '2.5', weightUnit: 'lbs' }),
    outcome: 'unreadable',
    says: /partPieceWeight/,
  },
  {
    name: 'customer shipper tracking number is a number',
    op: 'writeTracking',
    route: new RegExp(`^/shipping/v1/customer-shippers/${UUID}$`),
    reply: jsonReply({ id: '77777777-7777-4777-8777-777777777777', trackingNumber: 794600000001 }),
    outcome: 'unreadable',
    says: /trackingNumber/,
  },
];

// ------------------------------------------------------------------ ShipStation

export const SHIPSTATION_SHAPES: ShapeCase[] = [
  {
    name: 'order answered as a list',
    op: 'getOrder',
    route: /^\/orders\/\d+$/,
    reply: jsonReply([{ orderId: 1 }]),
    outcome: 'unreadable',
    says: /JSON object/,
  },
  {
    name: 'order without an orderId',
    op: 'getOrder',
    route: /^\/orders\/\d+$/,
    reply: jsonReply({ orderNumber: 'SO-1', orderStatus: 'awaiting_shipment' }),
    outcome: 'unreadable',
    says: /orderId/,
  },
  {
    name: 'existing order answered as text before an update',
    op: 'updateExistingOrder',
    route: /^\/orders\/\d+$/,
    reply: jsonReply('shipped'),
    outcome: 'unreadable',
    says: /JSON object/,
  },
  {
    name: 'createorder answer with orderId as text',
    op: 'updateExistingOrder',
    route: /^\/orders\/createorder$/,
    reply: jsonReply({ orderId: '5', orderStatus: 'awaiting_shipment' }),
    outcome: 'unreadable',
    says: /without an order/,
  },
  {
    name: 'orders is text',
    op: 'findOrderByKey',
    route: /^\/orders$/,
    reply: jsonReply({ orders: 'none', total: 0, page: 1, pages: 0 }),
    outcome: 'unreadable',
    says: /no orders list/,
  },
  {
    name: 'orders list holds null',
    op: 'findOrderByKey',
    route: /^\/orders$/,
    reply: jsonReply({ orders: [null], total: 1, page: 1, pages: 1 }),
    outcome: 'unreadable',
    says: /item 0/,
  },
  {
    name: 'a billion pages, every one of them page 1',
    op: 'findOrderByKey',
    route: /^\/orders$/,
    reply: jsonReply({ orders: [{ orderId: 1, orderKey: 'other' }], total: 1e9, page: 1, pages: 1e9 }),
    outcome: 'unreadable',
    says: /page/,
  },
  {
    name: 'shipment without a shipmentId',
    op: 'listShipments',
    route: /^\/shipments$/,
    reply: jsonReply({ shipments: [{ trackingNumber: '1Z999' }], total: 1, page: 1, pages: 1 }),
    outcome: 'unreadable',
    says: /shipmentId/,
  },
  {
    name: 'shipmentItems is text',
    op: 'listShipments',
    route: /^\/shipments$/,
    reply: jsonReply({
      shipments: [{ shipmentId: 7, shipmentItems: 'SKU-1 x 2' }],
      total: 1,
      page: 1,
      pages: 1,
    }),
    outcome: 'unreadable',
    says: /shipment 0 has shipmentItems/,
  },
  {
    name: 'shipments list holds a number',
    op: 'listShipments',
    route: /^\/shipments$/,
    reply: jsonReply({ shipments: [7], total: 1, page: 1, pages: 1 }),
    outcome: 'unreadable',
    says: /item 0/,
  },
  {
    name: 'bulk create answer whose results hold null and a number',
    op: 'createOrders',
    route: /^\/orders\/createorders$/,
    reply: jsonReply({ hasErrors: false, results: [null, 42] }),
    outcome: 'item_failure',
    says: /no result/,
  },
  {
    name: 'bulk create answer whose results is text',
    op: 'createOrders',
    route: /^\/orders\/createorders$/,
    reply: jsonReply({ hasErrors: false, results: 'done' }),
    outcome: 'unreadable',
    says: /results list/,
  },
  {
    name: 'inventory is an object, not a list',
    op: 'listInventory',
    route: /^\/v2\/inventory$/,
    reply: jsonReply({ inventory: { sku: 'SKU-1' }, total: 1, page: 1, pages: 1 }),
    outcome: 'unreadable',
    says: /inventory list/,
  },
  {
    name: 'on_hand is text',
    op: 'listInventory',
    route: /^\/v2\/inventory$/,
    reply: jsonReply({
      inventory: [{ sku: 'SKU-1', on_hand: '5', allocated: 0, available: 5 }],
      page: 1,
      pages: 1,
    }),
    outcome: 'unreadable',
    says: /on_hand/,
  },
  {
    name: 'next link is a number',
    op: 'listInventory',
    route: /^\/v2\/inventory$/,
    reply: jsonReply({ inventory: [], page: 1, pages: 2, links: { next: { href: 2 } } }),
    outcome: 'unreadable',
    says: /next/,
  },
  {
    name: 'subscribe answer with the webhook id as text',
    op: 'subscribeWebhook',
    route: /^\/webhooks\/subscribe$/,
    reply: jsonReply({ id: '12' }),
    outcome: 'unreadable',
    says: /webhook id/,
  },
  {
    name: 'resource_url answer without a shipments list',
    op: 'getByResourceUrl',
    route: /^\/shipments$/,
    reply: jsonReply({ shipments: null, total: 0, page: 1, pages: 0 }),
    outcome: 'unreadable',
    says: /no shipments list/,
  },
];

// ================================================================== FedEx AIV webhook

/** One AIV push (Track-API shaped) for one tracking number. */
export function aivPush(opts: {
  trackingNumber?: unknown;
  code?: unknown;
  date?: unknown;
  description?: unknown;
}): string {
  const tn = opts.trackingNumber ?? '794699999901';
  return JSON.stringify({
    transactionId: 'aiv-corpus',
    output: {
      completeTrackResults: [
        {
          trackingNumber: tn,
          trackResults: [
            {
              trackingNumberInfo: { trackingNumber: tn },
              latestStatusDetail: { code: opts.code ?? 'IT', description: opts.description ?? 'In transit' },
              scanEvents: [
                {
                  date: opts.date ?? '2026-11-21T10:15:05-06:00',
                  eventType: opts.code ?? 'IT',
                  derivedStatusCode: opts.code ?? 'IT',
                  eventDescription: opts.description ?? 'In transit',
                },
              ],
            },
          ],
        },
      ],
    },
  });
}

/** How the test signs the body: the right HMAC, or one of the ways a forger or a broken proxy gets it wrong. */
export type AivSignature =
  | 'valid'
  | 'missing'
  | 'empty'
  | 'truncated'
  | 'wrong-key'
  | 'other-body'
  | 'hex'
  | 'garbage'
  | 'doubled'
  | 'empty-key';

export interface FedexWebhookCase {
  name: string;
  body: string | Buffer;
  /** Content-Type header; null sends none. Default application/json. */
  contentType?: string | null;
  signature: AivSignature;
  status: number;
  /** The error body must match (4xx). */
  error?: RegExp;
  /** Whether the push may be stored in the inbox (only accepted ones are). */
  stored?: boolean;
}

const push = aivPush({});
const BODY_LIMIT = 1024 * 1024;

export const FEDEX_WEBHOOK_CASES: FedexWebhookCase[] = [
  // signatures
  { name: 'no fdx-signature', body: push, signature: 'missing', status: 401, error: /fdx-signature/ },
  { name: 'empty fdx-signature', body: push, signature: 'empty', status: 401, error: /fdx-signature/ },
  { name: 'truncated signature', body: push, signature: 'truncated', status: 401, error: /fdx-signature/ },
  {
    name: 'signed with another token',
    body: push,
    signature: 'wrong-key',
    status: 401,
    error: /fdx-signature/,
  },
  {
    name: 'signature of another body',
    body: push,
    signature: 'other-body',
    status: 401,
    error: /fdx-signature/,
  },
  { name: 'hex instead of base64', body: push, signature: 'hex', status: 401, error: /fdx-signature/ },
  {
    name: 'signature of non-base64 junk',
    body: push,
    signature: 'garbage',
    status: 401,
    error: /fdx-signature/,
  },
  { name: 'fdx-signature sent twice', body: push, signature: 'doubled', status: 401, error: /fdx-signature/ },
  {
    name: 'signed with an empty token',
    body: push,
    signature: 'empty-key',
    status: 401,
    error: /fdx-signature/,
  },
  {
    name: 'forged signature on a malformed body',
    body: '{"output": [',
    signature: 'wrong-key',
    status: 401,
    error: /fdx-signature/,
  },
  // malformed bodies, correctly signed
  { name: 'malformed JSON', body: '{"output": [', signature: 'valid', status: 400, error: /not JSON/ },
  { name: 'empty body', body: '', signature: 'valid', status: 400, error: /not JSON/ },
  { name: 'JSON null', body: 'null', signature: 'valid', status: 400, error: /JSON object/ },
  { name: 'JSON list', body: '[{"output":{}}]', signature: 'valid', status: 400, error: /JSON object/ },
  { name: 'JSON string', body: '"IT"', signature: 'valid', status: 400, error: /JSON object/ },
  { name: 'no output', body: '{"transactionId":"x"}', signature: 'valid', status: 400, error: /output/ },
  { name: 'output null', body: '{"output":null}', signature: 'valid', status: 400, error: /output/ },
  {
    name: 'completeTrackResults is an object',
    body: '{"output":{"completeTrackResults":{"trackingNumber":"794699999901"}}}',
    signature: 'valid',
    status: 400,
    error: /completeTrackResults/,
  },
  {
    name: 'completeTrackResults holds null',
    body: '{"output":{"completeTrackResults":[null]}}',
    signature: 'valid',
    status: 400,
    error: /completeTrackResults\[0\]/,
  },
  {
    name: 'trackResults is text',
    body: '{"output":{"completeTrackResults":[{"trackingNumber":"794699999901","trackResults":"IT"}]}}',
    signature: 'valid',
    status: 400,
    error: /trackResults/,
  },
  {
    name: 'tracking number is a number',
    body: aivPush({ trackingNumber: 794699999901 }),
    signature: 'valid',
    status: 400,
    error: /tracking number/,
  },
  {
    name: 'status code is a number',
    body: aivPush({ code: 42 }),
    signature: 'valid',
    status: 400,
    error: /unexpected shape/,
  },
  {
    name: 'scan date is a number',
    body: aivPush({ date: 20261121 }),
    signature: 'valid',
    status: 400,
    error: /unexpected shape/,
  },
  {
    // Text is cleaned, not refused: the push is authentic and its status must not be lost.
    name: 'description is an object (stored with the status code as its text)',
    body: aivPush({ trackingNumber: '794699999906', description: { text: 'In transit' } }),
    signature: 'valid',
    status: 200,
    stored: true,
  },
  {
    name: 'NUL character in the tracking number',
    body: aivPush({ trackingNumber: '7946\u000099999901' }),
    signature: 'valid',
    status: 400,
    error: /tracking number/,
  },
  {
    name: 'NUL and other control characters in the description (stored without them)',
    body: aivPush({ trackingNumber: '794699999907', description: 'In\u0000transit\u001b[31m' }),
    signature: 'valid',
    status: 200,
    stored: true,
  },
  {
    name: 'tracking number of 5,000 characters',
    body: aivPush({ trackingNumber: '7'.repeat(5000) }),
    signature: 'valid',
    status: 400,
    error: /tracking number/,
  },
  {
    name: 'status code of 5,000 characters',
    body: aivPush({ code: 'I'.repeat(5000) }),
    signature: 'valid',
    status: 400,
    error: /status code|tracking number/,
  },
  {
    name: 'JSON nested 100,000 levels deep',
    body: `{"output":${'['.repeat(100_000)}${']'.repeat(100_000)}}`,
    signature: 'valid',
    status: 400,
    error: /output|not JSON/,
  },
  {
    name: '101 track results (more than one push carries)',
    body: JSON.stringify({
      output: {
        completeTrackResults: Array.from({ length: 101 }, (_, i) => ({
          trackingNumber: `7946${String(i).padStart(8, '0')}`,
          trackResults: [{ latestStatusDetail: { code: 'IT' } }],
        })),
      },
    }),
    signature: 'valid',
    status: 400,
    error: /more than 100/,
  },
  {
    name: 'huge scan list for an unknown tracking number (stored, matches no shipment)',
    body: JSON.stringify({
      output: {
        completeTrackResults: [
          {
            trackingNumber: '794699999902',
            trackResults: [
              {
                trackingNumberInfo: { trackingNumber: '794699999902' },
                latestStatusDetail: { code: 'IT' },
                scanEvents: Array.from({ length: 8000 }, (_, i) => ({
                  date: new Date(Date.UTC(2026, 10, 1) + i * 60_000).toISOString(),
                  eventType: 'IT',
                })),
              },
            ],
          },
        ],
      },
    }),
    signature: 'valid',
    status: 200,
    stored: true,
  },
  {
    name: 'unknown tracking number (stored, matches no shipment)',
    body: aivPush({ trackingNumber: '794699999903' }),
    signature: 'valid',
    status: 200,
    stored: true,
  },
  // content types
  {
    name: 'form-encoded body with a form content type',
    body: 'output=completeTrackResults&trackingNumber=794699999901',
    contentType: 'application/x-www-form-urlencoded',
    signature: 'valid',
    status: 400,
    error: /not JSON/,
  },
  {
    name: 'XML body with an XML content type',
    body: '<?xml version="1.0"?><TrackReply><TrackingNumber>794699999901</TrackingNumber></TrackReply>',
    contentType: 'application/xml',
    signature: 'valid',
    status: 400,
    error: /not JSON/,
  },
  {
    name: 'binary junk with no content type',
    body: Buffer.from([0xff, 0xfe, 0x00, 0x7b, 0x22, 0x6f, 0x80]),
    contentType: null,
    signature: 'valid',
    status: 400,
    error: /not JSON/,
  },
  {
    // The signed bytes are what counts: FedEx does not document the header, so a signed JSON push
    // is read whatever it says.
    name: 'signed JSON push labelled text/plain (accepted)',
    body: aivPush({ trackingNumber: '794699999905' }),
    contentType: 'text/plain',
    signature: 'valid',
    status: 200,
    stored: true,
  },
  // size
  {
    name: 'body one byte over the limit, unsigned',
    body: Buffer.alloc(BODY_LIMIT + 1, 0x20),
    signature: 'missing',
    status: 413,
    error: /larger than/,
  },
  {
    name: 'body of 5 MB, correctly signed',
    body: JSON.stringify({ output: { completeTrackResults: [], padding: 'x'.repeat(5 * 1024 * 1024) } }),
    signature: 'valid',
    status: 413,
    error: /larger than/,
  },
];

// ================================================================== ShipStation webhooks

/** V1 URL-token comparisons: [given, expected, accepted]. */
export const V1_TOKEN_CASES: Array<{ name: string; given: string | undefined | null; accepted: boolean }> = [
  { name: 'the configured token', given: 'ss-hook-token-0123456789abcdef', accepted: true },
  { name: 'no token', given: undefined, accepted: false },
  { name: 'null token', given: null, accepted: false },
  { name: 'empty token', given: '', accepted: false },
  { name: 'a prefix of the token', given: 'ss-hook-token-0123456789', accepted: false },
  { name: 'the token plus a suffix', given: 'ss-hook-token-0123456789abcdefX', accepted: false },
  { name: 'upper-cased token', given: 'SS-HOOK-TOKEN-0123456789ABCDEF', accepted: false },
  { name: 'token with a trailing newline', given: 'ss-hook-token-0123456789abcdef\n', accepted: false },
  { name: 'one character changed', given: 'ss-hook-token-0123456789abcdeg', accepted: false },
  { name: 'a 100 kB token', given: 'a'.repeat(100_000), accepted: false },
];
export const V1_TOKEN = 'ss-hook-token-0123456789abcdef';

/** V1 bodies (unsigned: the body is a hint, re-fetched with our credentials). */
export const V1_BODY_CASES: Array<{ name: string; body: string; error: RegExp }> = [
  { name: 'empty body', body: '', error: /not JSON/ },
  { name: 'malformed JSON', body: '{"resource_url":', error: /not JSON/ },
  { name: 'JSON list', body: '[]', error: /JSON object/ },
  {
    name: 'resource_url is a number',
    body: '{"resource_url":5,"resource_type":"SHIP_NOTIFY"}',
    error: /resource_url/,
  },
  {
    name: 'resource_url is a javascript: URL',
    body: '{"resource_url":"javascript:alert(1)","resource_type":"SHIP_NOTIFY"}',
    error: /http/,
  },
  {
    name: 'unknown resource_type',
    body: '{"resource_url":"https://ssapi.shipstation.com/shipments","resource_type":"PAY_ME"}',
    error: /resource_type/,
  },
  {
    name: 'resource_url of 1 MB',
    body: JSON.stringify({
      resource_url: `https://ssapi.shipstation.com/${'a'.repeat(1024 * 1024)}`,
      resource_type: 'SHIP_NOTIFY',
    }),
    error: /longer/,
  },
];

/** How a V2 case's headers differ from a correctly signed push. */
export type V2Tamper =
  | 'none'
  | 'no-key-id'
  | 'no-signature'
  | 'no-timestamp'
  | 'blank-signature'
  | 'unknown-kid'
  | 'forged-key'
  | 'other-body'
  | 'other-timestamp'
  | 'expired'
  | 'future'
  | 'timestamp-garbage'
  | 'signature-junk'
  | 'signature-truncated';

/** What the JWKS endpoint answers for a V2 case. */
export type JwksAnswer =
  | 'good'
  | 'html-200'
  | 'html-502'
  | 'no-keys'
  | 'empty-keys'
  | 'keys-not-list'
  | 'ec-key'
  | 'broken-modulus'
  | 'truncated'
  | 'hang'
  | 'gigantic';

export interface V2Case {
  name: string;
  tamper: V2Tamper;
  jwks: JwksAnswer;
  status: 200 | 400 | 401 | 404 | 503;
  reason?: RegExp;
  /** What the verifier must log about the JWKS fetch (the reason it answers stays generic). */
  logs?: RegExp;
}

export const V2_CASES: V2Case[] = [
  { name: 'correctly signed push', tamper: 'none', jwks: 'good', status: 200 },
  { name: 'no key-id header', tamper: 'no-key-id', jwks: 'good', status: 404, reason: /missing/ },
  { name: 'no signature header', tamper: 'no-signature', jwks: 'good', status: 404, reason: /missing/ },
  { name: 'no timestamp header', tamper: 'no-timestamp', jwks: 'good', status: 404, reason: /missing/ },
  { name: 'blank signature header', tamper: 'blank-signature', jwks: 'good', status: 404, reason: /missing/ },
  { name: 'key id not in the JWKS', tamper: 'unknown-kid', jwks: 'good', status: 401, reason: /unknown key/ },
  {
    name: 'signed with a forger’s key under the right kid',
    tamper: 'forged-key',
    jwks: 'good',
    status: 401,
    reason: /does not match/,
  },
  {
    name: 'signature of another body',
    tamper: 'other-body',
    jwks: 'good',
    status: 401,
    reason: /does not match/,
  },
  {
    name: 'signature over another timestamp',
    tamper: 'other-timestamp',
    jwks: 'good',
    status: 401,
    reason: /does not match/,
  },
  { name: 'timestamp 10 minutes old', tamper: 'expired', jwks: 'good', status: 400, reason: /window/ },
  { name: 'timestamp 10 minutes ahead', tamper: 'future', jwks: 'good', status: 400, reason: /window/ },
  {
    name: 'timestamp that is not a time',
    tamper: 'timestamp-garbage',
    jwks: 'good',
    status: 400,
    reason: /unreadable/,
  },
  {
    name: 'signature of non-base64 junk',
    tamper: 'signature-junk',
    jwks: 'good',
    status: 401,
    reason: /malformed/,
  },
  {
    name: 'truncated signature',
    tamper: 'signature-truncated',
    jwks: 'good',
    status: 401,
    reason: /does not match/,
  },
  {
    name: 'JWKS answers an HTML page with 200',
    tamper: 'none',
    jwks: 'html-200',
    status: 503,
    reason: /JWKS/,
  },
  { name: 'JWKS answers 502', tamper: 'none', jwks: 'html-502', status: 503, reason: /JWKS/ },
  { name: 'JWKS without keys', tamper: 'none', jwks: 'no-keys', status: 503, reason: /JWKS/ },
  { name: 'JWKS keys is an object', tamper: 'none', jwks: 'keys-not-list', status: 503, reason: /JWKS/ },
  { name: 'JWKS cut off halfway', tamper: 'none', jwks: 'truncated', status: 503, reason: /JWKS/ },
  { name: 'JWKS never answers', tamper: 'none', jwks: 'hang', status: 503, reason: /JWKS/ },
  {
    name: 'JWKS answers a gigantic body',
    tamper: 'none',
    jwks: 'gigantic',
    status: 503,
    reason: /JWKS/,
    logs: /JWKS answer larger than 1048576 bytes/,
  },
  {
    name: 'JWKS with an empty key list',
    tamper: 'none',
    jwks: 'empty-keys',
    status: 401,
    reason: /unknown key/,
  },
  {
    name: 'JWKS key of another type (EC)',
    tamper: 'none',
    jwks: 'ec-key',
    status: 401,
    reason: /unknown key/,
  },
  {
    name: 'JWKS key with a broken modulus',
    tamper: 'none',
    jwks: 'broken-modulus',
    status: 401,
    reason: /unknown key|does not match/,
  },
];

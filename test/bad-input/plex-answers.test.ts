// Malformed Plex Connect answers against the real PlexClient over HTTP: the generic answers on
// single reads and lists, and records with missing ids or fields of the wrong type on the paths the
// order load, the ready-order poll and the write-back take. See corpus.ts and answer-suite.ts.

import { PlexClient, type PlexAuditEntry } from '../../connectors/plex/client';
import { PlexError } from '../../connectors/plex/errors';
import { unlimited } from '../../lib/ratelimit';
import { IDS } from '../unit/plex-fixtures';
import { freshWorld, orderRoutes } from '../unit/plex-routes';
import { json, type Handler } from '../unit/plex-server';
import { answerSuite, type Operation } from './answer-suite';
import { PLEX_SHAPES } from './corpus';
import type { Reply, SeenRequest } from './scripted-http';

const API_KEY = 'corpus-plex-consumer-key-5b1e7d';
const UUID = '[0-9a-f-]{36}';

const routes: Array<[string, RegExp, Handler]> = [
  ...orderRoutes(freshWorld()),
  ['GET', /^\/inventory\/v1\/inventory-shipping\/shipments$/, () => json([])],
];

/** The unit tests' route table, served as raw replies. */
function good(req: SeenRequest): Reply {
  const recorded = {
    method: req.method,
    path: req.path,
    query: req.query,
    headers: req.headers,
    body: req.body ? (JSON.parse(req.body) as unknown) : undefined,
  };
  for (const [method, pattern, handler] of routes) {
    const m = pattern.exec(req.path);
    if (method !== req.method || !m) continue;
    const answer = handler(recorded, m.slice(1));
    return {
      kind: 'raw',
      status: answer.status ?? 200,
      headers: { 'content-type': 'application/json' },
      body: answer.body === undefined ? '' : JSON.stringify(answer.body),
    };
  }
  return {
    kind: 'raw',
    status: 404,
    headers: { 'content-type': 'application/json' },
    body: '{"code":"RESOURCE_NOT_FOUND"}',
  };
}

const window = { since: '2026-11-20T00:00:00Z', until: '2026-11-21T00:00:00Z' };

const ops: Record<string, Operation<PlexClient>> = {
  getOrder: {
    label: /^Plex getOrder\b/,
    route: new RegExp(`^/sales/v1/orders/${UUID}$`),
    run: (c) => c.getOrder(IDS.order),
    slowProbe: true,
  },
  listOrders: {
    label: /^Plex listOrders\b/,
    route: /^\/sales\/v1\/orders$/,
    run: (c) => c.listOrders({ modifiedBegin: window.since, modifiedEnd: window.until }),
  },
  getCustomerShipper: {
    label: /^Plex getCustomerShipper\b/,
    route: new RegExp(`^/shipping/v1/customer-shippers/${UUID}$`),
    run: (c) => c.getCustomerShipper(IDS.shipper),
  },
  listInventoryShipments: {
    label: /^Plex listInventoryShipments\b/,
    route: /^\/inventory\/v1\/inventory-shipping\/shipments$/,
    run: (c) => c.listInventoryShipments({ externalShipmentCode: 'SS-1001' }),
  },
  detectReadyOrders: {
    label: /^Plex \w+/,
    route: /^\/sales\/v1\/orders$/,
    run: (c) => c.detectReadyOrders(window),
    shapesOnly: true,
  },
  loadOrder: {
    label: /^Plex \w+/,
    route: new RegExp(`^/sales/v1/orders/${UUID}$`),
    run: (c) => c.loadOrder(IDS.order),
    shapesOnly: true,
  },
  writeTracking: {
    label: /^Plex \w+/,
    route: new RegExp(`^/shipping/v1/customer-shippers/${UUID}$`),
    run: (c) =>
      c.writeTracking(
        { shipperId: IDS.shipper },
        {
          carrier: 'fedex',
          trackingNumber: '794600000001',
          pieceTrackingNumbers: ['794600000001'],
          serviceType: 'FEDEX_GROUND',
          shipDate: '2026-11-21',
        },
      ),
    shapesOnly: true,
  },
};

answerSuite<PlexClient>({
  title: 'bad input: malformed Plex answers',
  ops,
  shapes: PLEX_SHAPES,
  good,
  client: (baseUrl, log, timeoutMs) => {
    const audit: PlexAuditEntry[] = [];
    const client = new PlexClient({
      connection: 'plex-corpus',
      baseUrl,
      apiKey: API_KEY,
      limiter: unlimited,
      timeoutMs,
      log,
      audit: async (e) => {
        audit.push(e);
      },
      random: () => 0,
      sleep: async () => undefined,
    });
    return { client, secrets: () => [API_KEY], audit: () => audit };
  },
  isTyped: (e) => e instanceof PlexError,
  typeFor: (outcome) => (outcome === 'auth' ? 'PlexAuthError' : 'PlexUnavailableError'),
});

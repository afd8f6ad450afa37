import type { IncomingHttpHeaders } from 'node:http';
import { readBody, sendJson, startHttpServer, type RunningServer } from '../../simulators/shared/http';
import { DEMO_V1_KEY, DEMO_V2_KEY, type ShipStationSimulator } from '../../simulators/shipstation';

export const BASIC = `Basic ${Buffer.from(`${DEMO_V1_KEY.apiKey}:${DEMO_V1_KEY.apiSecret}`).toString('base64')}`;

export interface Answer {
  status: number;
  headers: Headers;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

async function answer(res: Response): Promise<Answer> {
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text.length > 0 ? JSON.parse(text) : undefined };
}

/** A V1 call with the demo key pair (or the given Authorization header; null sends none). */
export async function v1(
  sim: ShipStationSimulator,
  path: string,
  opts: { method?: string; body?: unknown; auth?: string | null } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const auth = opts.auth === undefined ? BASIC : opts.auth;
  if (auth !== null) headers.authorization = auth;
  const res = await fetch(`${sim.url}${path}`, {
    method: opts.method ?? (opts.body === undefined ? 'GET' : 'POST'),
    headers,
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  });
  return answer(res);
}

/** A V2 call with the demo api-key (or the given one; null sends none). */
export async function v2(
  sim: ShipStationSimulator,
  path: string,
  opts: { method?: string; body?: unknown; key?: string | null } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const key = opts.key === undefined ? DEMO_V2_KEY : opts.key;
  if (key !== null) headers['api-key'] = key;
  const res = await fetch(`${sim.url}${path}`, {
    method: opts.method ?? (opts.body === undefined ? 'GET' : 'POST'),
    headers,
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  });
  return answer(res);
}

export function orderBody(
  n: number | string,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    orderNumber: `SO-${n}`,
    orderKey: `plex-SO-${n}`,
    orderDate: '2026-11-20 09:15:00',
    orderStatus: 'awaiting_shipment',
    customerEmail: 'buyer@example.com',
    billTo: { name: 'Pat Buyer' },
    shipTo: {
      name: 'Pat Buyer',
      company: 'Buyer Inc',
      street1: '1 Main St',
      city: 'Austin',
      state: 'TX',
      postalCode: '78701',
      country: 'US',
      phone: '5125550100',
      residential: false,
    },
    items: [
      {
        lineItemKey: 'L1',
        sku: 'WIDGET-1',
        name: 'Widget',
        quantity: 2,
        unitPrice: 10,
        weight: { value: 24, units: 'ounces' },
      },
      {
        lineItemKey: 'L2',
        sku: 'GADGET-2',
        name: 'Gadget',
        quantity: 1,
        unitPrice: 5.5,
        weight: { value: 3, units: 'pounds' },
      },
    ],
    amountPaid: 25.5,
    carrierCode: 'fedex',
    serviceCode: 'fedex_ground',
    advancedOptions: { customField1: `plex:${n}` },
    ...overrides,
  };
}

export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  raw: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

/** A webhook receiver on 127.0.0.1 that records every POST. */
export async function startReceiver(): Promise<{ server: RunningServer; received: Received[] }> {
  const received: Received[] = [];
  const server = await startHttpServer(async (req, res) => {
    const raw = (await readBody(req)).toString('utf8');
    received.push({ path: req.url ?? '/', headers: req.headers, raw, body: JSON.parse(raw) });
    sendJson(res, 200, { ok: true });
  });
  return { server, received };
}

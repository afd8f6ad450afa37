// Which webhook resource_urls the connection's credentials may be sent to. A V1 webhook's body is
// unauthenticated, so its resource_url is a URL anyone could have written: it is followed only to
// ShipStation (the configured V1 base URL's origin, or https on ssapi[N].shipstation.com) and only
// to the shipment and order lists. Pure: no request is made here.

import { ShipStationForeignUrlError } from './errors';

export type ResourceKind = 'shipments' | 'orders';

/** ShipStation's production V1 hosts: `ssapi.shipstation.com` and numbered shards (`ssapi11…`, §A10). */
const SHIPSTATION_V1_HOST = /^ssapi\d*\.shipstation\.com$/;

/** Resources a webhook may point at: the credentials are used for nothing else. */
const RESOURCE_PATHS: Record<string, ResourceKind> = {
  '/shipments': 'shipments',
  '/orders': 'orders',
};

/** The parsed URL and resource kind when resource_url is one we may follow; throws otherwise. */
export function checkResourceUrl(resourceUrl: string, v1BaseUrl: string): { url: URL; kind: ResourceKind } {
  const refuse = (why: string) =>
    new ShipStationForeignUrlError(`ShipStation resource_url refused: ${why}; nothing was fetched`);
  let url: URL;
  try {
    url = new URL(resourceUrl);
  } catch {
    throw refuse('not an absolute URL');
  }
  if (url.username || url.password) throw refuse('it carries user credentials');
  const base = new URL(v1BaseUrl);
  const basePath = base.pathname.replace(/\/+$/, '');
  const configured = url.origin === base.origin;
  const production = url.protocol === 'https:' && url.port === '' && SHIPSTATION_V1_HOST.test(url.hostname);
  if (!configured && !production) throw refuse(`host ${url.host} is not ShipStation's`);
  const prefix = configured ? basePath : '';
  if (!url.pathname.startsWith(`${prefix}/`)) throw refuse(`path ${url.pathname} is outside the API`);
  const kind = RESOURCE_PATHS[url.pathname.slice(prefix.length).replace(/\/+$/, '').toLowerCase()];
  if (!kind) throw refuse(`path ${url.pathname} is not a shipment or order list`);
  return { url, kind };
}

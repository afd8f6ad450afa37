// The CLI's `connections test` for Plex: authenticate and read from each API product the connector
// uses, then say precisely what is wrong (a refused key, a tenant the key may not use, an
// unsubscribed product, a 403, no answer). Reads only, through the client like every other call.

import {
  PlexAuthError,
  PlexForbiddenError,
  PlexNotFoundError,
  PlexRateLimitError,
  PlexUnavailableError,
  plexProductFor,
} from './errors';

export type PlexConnectionTestReason =
  | 'ok'
  | 'bad_key'
  | 'tenant_denied'
  | 'not_subscribed'
  | 'forbidden'
  | 'unreachable'
  | 'rate_limited'
  | 'error';

export interface PlexConnectionTestResult {
  ok: boolean;
  reason: PlexConnectionTestReason;
  message: string;
}

/** What the test needs of the client (PlexClient). */
export interface ProbedClient {
  readonly baseUrl: string;
  readonly tenantId?: string;
  readonly customerId?: string;
  now(): Date;
  listOrders(q: { modifiedBegin: Date; modifiedEnd: Date }): Promise<unknown>;
  listReleases(q: { modifiedBegin: Date; modifiedEnd: Date }): Promise<unknown>;
  probeCustomers(): Promise<unknown>;
  listCustomerShippers(q: { modifiedBegin: Date; modifiedEnd: Date }): Promise<unknown>;
  /** The same client without the tenant / PCN header. */
  withoutTenant(): ProbedClient;
}

export async function testConnection(plex: ProbedClient): Promise<PlexConnectionTestResult> {
  const end = plex.now();
  const begin = new Date(end.getTime() - 60 * 60 * 1000);
  const window = { modifiedBegin: begin, modifiedEnd: end };
  const probes: Array<[string, () => Promise<unknown>]> = [
    ['/sales/v1/orders', () => plex.listOrders(window)],
    ['/sales/v1/releases', () => plex.listReleases(window)],
    ['/mdm/v1/customers', () => plex.probeCustomers()],
    ['/shipping/v1/customer-shippers', () => plex.listCustomerShippers(window)],
  ];
  let first = true;
  for (const [path, probe] of probes) {
    try {
      await probe();
    } catch (err) {
      return failure(plex, err, path, first);
    }
    first = false;
  }
  const who = plex.tenantId
    ? `tenant ${plex.tenantId}`
    : plex.customerId
      ? `PCN ${plex.customerId}`
      : "the key's default tenant";
  return {
    ok: true,
    reason: 'ok',
    message: `key accepted for ${who}; sales orders, releases, customers and customer shippers are readable`,
  };
}

async function failure(
  plex: ProbedClient,
  err: unknown,
  path: string,
  first: boolean,
): Promise<PlexConnectionTestResult> {
  const { product } = plexProductFor(path);
  if (err instanceof PlexUnavailableError && err.transport) {
    return { ok: false, reason: 'unreachable', message: `cannot reach ${plex.baseUrl}: ${err.message}` };
  }
  if (err instanceof PlexRateLimitError) return { ok: false, reason: 'rate_limited', message: err.message };
  if (err instanceof PlexForbiddenError) return { ok: false, reason: 'forbidden', message: err.message };
  if (err instanceof PlexAuthError && first) {
    if ((plex.tenantId || plex.customerId) && (await keyWorksWithoutTenant(plex))) {
      const which = plex.tenantId ? `tenant ${plex.tenantId}` : `PCN ${plex.customerId}`;
      return {
        ok: false,
        reason: 'tenant_denied',
        message: `the key is valid but may not act on ${which}: grant the app's key access to ${which} in Plex`,
      };
    }
    return {
      ok: false,
      reason: 'bad_key',
      message: `Plex refused the Consumer Key (REQUEST_NOT_AUTHENTICATED): check the key in the Developer Portal (keys can expire) and that the app is subscribed to the "${product}" API product`,
    };
  }
  if (err instanceof PlexAuthError || (err instanceof PlexNotFoundError && !first)) {
    return {
      ok: false,
      reason: 'not_subscribed',
      message: `the key works, but ${path} answered ${err.status ?? 'an error'}: subscribe the app to the "${product}" API product in the Plex Developer Portal`,
    };
  }
  return { ok: false, reason: 'error', message: (err as Error).message };
}

/** Whether the key authenticates against its default tenant (tells a bad key from a denied tenant). */
async function keyWorksWithoutTenant(plex: ProbedClient): Promise<boolean> {
  const end = plex.now();
  try {
    await plex
      .withoutTenant()
      .listOrders({ modifiedBegin: new Date(end.getTime() - 60_000), modifiedEnd: end });
    return true;
  } catch {
    return false;
  }
}

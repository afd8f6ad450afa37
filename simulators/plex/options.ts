import { DEFAULT_SEED } from '../shared/random';

/** Plex Connect collections ("API products") a key's App can be subscribed to. */
export const COLLECTIONS = [
  'accounting',
  'cm',
  'edi',
  'engineering',
  'hcm',
  'inventory',
  'inventory-tracking',
  'maintenance',
  'management',
  'mdm',
  'platform',
  'production',
  'production-tracking',
  'purchasing',
  'quality',
  'sales',
  'scheduling',
  'shipping',
] as const;
export type PlexCollection = (typeof COLLECTIONS)[number];

/** One tenant (Plex entity / PCN) with its own data set. */
export interface PlexSimTenant {
  /** UUID, sent as X-Plex-Connect-Tenant-Id. */
  id: string;
  /** Company code from the Plex login screen. */
  code: string;
  /** Plexus Customer Number, sent as X-Plex-Connect-Customer-Id. */
  pcn: string;
}

/** One developer-portal App key: the tenants it may act on and the API products it is subscribed to. */
export interface PlexSimKey {
  apiKey: string;
  /** Tenant used without a tenant header (default: the first of `tenantIds`). */
  defaultTenantId?: string;
  /** Tenants the key may use (default: every configured tenant). */
  tenantIds?: string[];
  /** Subscribed collections (default: sales, mdm, shipping, inventory). */
  products?: PlexCollection[];
}

export interface PlexSimOptions {
  /** 0 (default) = a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  tenants?: PlexSimTenant[];
  keys?: PlexSimKey[];
  /** Calls per key per sliding minute before 429 (default 200). */
  rateLimitPerMinute?: number;
  /** Send `Retry-After: <n>` with a 429; 0 (default) sends none, as Plex documents none. */
  retryAfterSeconds?: number;
  /** Answer to a collection the key is not subscribed to: 401 (default) or 404 RESOURCE_NOT_FOUND. */
  unsubscribedStatus?: 401 | 404;
  /** Orders seeded at start (and again by reset()) into the first tenant (default 0). */
  orders?: number;
  /** Seed for the start-up orders and for fault decisions (default DEFAULT_SEED: the same every run). */
  seed?: number;
  /** invalidShare for the start-up orders (default 0.08). */
  invalidShare?: number;
  /** Shipper statuses a PUT may set (default: see DEFAULT_SHIPPER_STATUSES). */
  shipperStatuses?: string[];
  /** Request body limit in bytes (default 1 MB). */
  bodyLimitBytes?: number;
}

export const DEMO_TENANT: PlexSimTenant = {
  id: '5f0c1e2a-7b3d-4c8e-9a1f-2d3e4f5a6b7c',
  code: 'MLDEMO',
  pcn: '123456',
};

export const DEMO_KEY: PlexSimKey = { apiKey: 'demo-plex-consumer-key' };

export const DEFAULT_PRODUCTS: PlexCollection[] = ['sales', 'mdm', 'shipping', 'inventory'];

export const DEFAULT_SHIPPER_STATUSES = [
  'Open',
  'Ready',
  'Loading',
  'Hold',
  'Shipped',
  'In Transit',
  'Delivered',
  'Canceled',
];

export interface ResolvedKey {
  apiKey: string;
  defaultTenantId: string;
  tenantIds: string[];
  products: PlexCollection[];
}

export interface ResolvedOptions {
  port: number;
  host: string;
  tenants: PlexSimTenant[];
  keys: ResolvedKey[];
  rateLimitPerMinute: number;
  retryAfterSeconds: number;
  unsubscribedStatus: 401 | 404;
  orders: number;
  seed: number;
  invalidShare: number;
  shipperStatuses: string[];
  bodyLimitBytes: number;
}

function nonNegative(name: string, value: number, min = 0): number {
  if (!Number.isFinite(value) || value < min) throw new RangeError(`${name} must be a number >= ${min}`);
  return value;
}

export function resolveOptions(opts: PlexSimOptions = {}): ResolvedOptions {
  const tenants = opts.tenants ?? [DEMO_TENANT];
  if (tenants.length === 0) throw new RangeError('at least one tenant is required');
  const tenantIds = new Set(tenants.map((t) => t.id));
  const keys = (opts.keys ?? [DEMO_KEY]).map((k): ResolvedKey => {
    if (k.apiKey.length === 0) throw new RangeError('apiKey must not be empty');
    const allowed = k.tenantIds ?? tenants.map((t) => t.id);
    const defaultTenantId = k.defaultTenantId ?? allowed[0];
    for (const id of [...allowed, defaultTenantId]) {
      if (id === undefined || !tenantIds.has(id)) throw new RangeError(`key refers to unknown tenant ${id}`);
    }
    if (!allowed.includes(defaultTenantId!)) throw new RangeError('defaultTenantId must be one of tenantIds');
    return {
      apiKey: k.apiKey,
      defaultTenantId: defaultTenantId!,
      tenantIds: allowed,
      products: k.products ?? DEFAULT_PRODUCTS,
    };
  });
  const unsubscribedStatus = opts.unsubscribedStatus ?? 401;
  if (unsubscribedStatus !== 401 && unsubscribedStatus !== 404)
    throw new RangeError('unsubscribedStatus must be 401 or 404');
  const invalidShare = opts.invalidShare ?? 0.08;
  if (!(invalidShare >= 0 && invalidShare <= 1)) throw new RangeError('invalidShare must be between 0 and 1');
  return {
    port: opts.port ?? 0,
    host: opts.host ?? '127.0.0.1',
    tenants,
    keys,
    rateLimitPerMinute: nonNegative('rateLimitPerMinute', opts.rateLimitPerMinute ?? 200, 1),
    retryAfterSeconds: nonNegative('retryAfterSeconds', opts.retryAfterSeconds ?? 0),
    unsubscribedStatus,
    orders: nonNegative('orders', opts.orders ?? 0),
    seed: opts.seed ?? DEFAULT_SEED,
    invalidShare,
    shipperStatuses: opts.shipperStatuses ?? DEFAULT_SHIPPER_STATUSES,
    bodyLimitBytes: nonNegative('bodyLimitBytes', opts.bodyLimitBytes ?? 1_000_000, 1),
  };
}

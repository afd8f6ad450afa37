import { z } from 'zod';
import { isDuration } from './duration';

// The configuration schema. Every object is strict so a typo is an error, never a silently
// ignored key. Custom messages are written to follow `<key>: <value> ` (see errors.ts) and end with
// the fix in parentheses.

export const ERP_SYSTEMS = ['plex', 'exact', 'ifs', 'sagex3'] as const;
export const CARRIER_SYSTEMS = ['fedex', 'shipstation'] as const;
export type ErpSystem = (typeof ERP_SYSTEMS)[number];
export type CarrierSystem = (typeof CARRIER_SYSTEMS)[number];
export type System = ErpSystem | CarrierSystem;

export function isErpSystem(system: string): system is ErpSystem {
  return (ERP_SYSTEMS as readonly string[]).includes(system);
}
export function isCarrierSystem(system: string): system is CarrierSystem {
  return (CARRIER_SYSTEMS as readonly string[]).includes(system);
}

export const CONNECTION_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;

/** `vault:<ref>` (a row of the credentials table) or `env:<VAR>` (an environment variable). */
export const VAULT_REF = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,199}$/;
export const ENV_VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
export type CredentialReference = `vault:${string}` | `env:${string}`;

/**
 * A credential reference. The issue carries `params.kind` so the error formatter can say which
 * vault ref to create, and it never echoes the value: it may be a pasted secret.
 */
const credentialReference = z.string().superRefine((value, ctx) => {
  if (value.startsWith('vault:')) {
    if (!VAULT_REF.test(value.slice('vault:'.length))) {
      ctx.addIssue({
        code: 'custom',
        params: { hideValue: true },
        message:
          'is not a valid vault reference (write vault:<ref> where ref is letters, digits, ".", "_", "/" or "-")',
      });
    }
  } else if (value.startsWith('env:')) {
    if (!ENV_VAR_NAME.test(value.slice('env:'.length))) {
      ctx.addIssue({
        code: 'custom',
        params: { hideValue: true },
        message:
          'is not a valid env reference (write env:<VAR> with a variable name such as FEDEX_CLIENT_SECRET)',
      });
    }
  } else {
    ctx.addIssue({
      code: 'custom',
      params: { hideValue: true, kind: 'literalSecret' },
      message: 'literal secret',
    });
  }
}) as unknown as z.ZodType<CredentialReference, string>;

function httpUrl(example: string) {
  return z.string().refine(
    (value) => {
      try {
        const url = new URL(value);
        return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
      } catch {
        return false;
      }
    },
    { message: `is not an http(s) URL (set it to e.g. ${example})` },
  );
}

const portMessage = 'is not a TCP port (use an integer from 0 to 65535; 0 picks a free port)';
const port = z.int({ error: portMessage }).min(0, { error: portMessage }).max(65535, { error: portMessage });
const positiveInt = (what: string) =>
  z.int({ error: `is not a whole number (write a positive integer ${what})` }).positive({
    error: `must be a positive integer (write ${what})`,
  });
const nonEmpty = (example: string) =>
  z
    .string({ error: `is not a string (write e.g. ${example})` })
    .min(1, { error: `is empty (write e.g. ${example})` });
const duration = (example: string) =>
  z.string().refine(isDuration, {
    message: `is not a duration (write a number followed by ms, s, m or h, e.g. ${example})`,
  });
const stringMap = z.record(nonEmpty('"CODE"'), nonEmpty('"VALUE"'));

const simulator = z.enum(['auto', 'always', 'never']).default('auto');

function connection<S extends System, Settings extends z.ZodType, Creds extends z.ZodType>(
  system: S,
  settings: Settings,
  credentials: Creds,
  urlExample: string,
) {
  return z.strictObject({
    system: z.literal(system),
    baseUrl: httpUrl(urlExample).optional(),
    simulator,
    credentials,
    settings,
  });
}

const ref = credentialReference.optional();
/** Each system's known credential fields: a misspelt field is an error, not a silent simulator. */

const plexConnection = connection(
  'plex',
  z
    .strictObject({
      /** Plexus Customer Number, sent as X-Plex-Connect-Customer-Id to act on another PCN. */
      pcn: z
        .string()
        .regex(/^\d+$/, { error: 'is not a PCN (write the numeric Plexus Customer Number)' })
        .optional(),
      /** Tenant UUID, sent as X-Plex-Connect-Tenant-Id. */
      tenantId: z.uuid({ error: 'is not a UUID (write the tenant id from GET /mdm/v1/tenants)' }).optional(),
      /**
       * What "ready to ship" means: an order status ("Open", the default), "release:<status>" (a
       * release in that status), or "shipper:<status>" (a customer shipper in that status).
       */
      readyState: nonEmpty('"Open"').default('Open'),
      /** How tracking and status land on the customer shipper (connectors/plex/README.md). */
      writeBack: z
        .strictObject({
          /** Carrier name ("fedex") -> Plex carrier id. */
          carrierIds: stringMap.optional(),
          /** Shipper status once tracking is written (e.g. "Shipped"); unchanged when absent. */
          shippedStatus: nonEmpty('"Shipped"').optional(),
          /** Lifecycle status (in_transit, delivered, cancelled, ...) -> shipper status. */
          statusMap: stringMap.optional(),
        })
        .optional(),
    })
    .prefault({}),
  z.strictObject({ apiKey: ref, username: ref, password: ref }).prefault({}),
  'https://test.connect.plex.com',
);

const exactConnection = connection(
  'exact',
  z
    .strictObject({
      /** Division (company) number; defaults to the user's current division. */
      division: positiveInt('the division number, e.g. 123456').optional(),
    })
    .prefault({}),
  z.strictObject({ clientId: ref, clientSecret: ref, refreshToken: ref, webhookSecret: ref }).prefault({}),
  'https://start.exactonline.nl',
);

const ifsConnection = connection(
  'ifs',
  z.strictObject({ site: nonEmpty('"MAIN"').optional() }).prefault({}),
  z.strictObject({ clientId: ref, clientSecret: ref }).prefault({}),
  'https://mycompany.ifs.cloud',
);

const sagex3Connection = connection(
  'sagex3',
  z
    .strictObject({
      /** X3 endpoint (folder), sent as x-xtrem-endpoint. */
      folder: nonEmpty('"SEED"').optional(),
      site: nonEmpty('"FR011"').optional(),
    })
    .prefault({}),
  z.strictObject({ clientId: ref, clientSecret: ref, username: ref, password: ref }).prefault({}),
  'https://x3.example.com:8124',
);

const fedexConnection = connection(
  'fedex',
  z.strictObject({
    accountNumber: z
      .string({ error: 'is not a string (write the 9-digit FedEx account number in quotes)' })
      .regex(/^\d{9}$/, {
        error: 'is not a FedEx account number (write the 9-digit number in quotes, e.g. "123456789")',
      }),
    pickupType: z
      .enum(['CONTACT_FEDEX_TO_SCHEDULE', 'DROPOFF_AT_FEDEX_LOCATION', 'USE_SCHEDULED_PICKUP'])
      .default('DROPOFF_AT_FEDEX_LOCATION'),
    labelImageType: z.enum(['PDF', 'PNG', 'ZPLII', 'EPL2']).default('PDF'),
    labelStockType: nonEmpty('"PAPER_4X6"').default('PAPER_4X6'),
  }),
  // childKey/childSecret are the integrator ("child") credentials FedEx takes on the token call,
  // so they live with the other credentials rather than in settings.
  z
    .strictObject({
      clientId: ref,
      clientSecret: ref,
      childKey: ref,
      childSecret: ref,
      trackClientId: ref,
      trackClientSecret: ref,
      /** AIV webhook security token: the key of the fdx-signature HMAC. */
      webhookSecret: ref,
    })
    .prefault({}),
  'https://apis-sandbox.fedex.com',
);

const shipstationConnection = connection(
  'shipstation',
  z
    .strictObject({
      /** v1 (ssapi.shipstation.com, key + secret) or v2 (api.shipstation.com, API key only). */
      apiVersion: z.enum(['v1', 'v2']).default('v1'),
      storeId: positiveInt('the store id, e.g. 12345').optional(),
      /** Ship-from warehouse (advancedOptions.warehouseId) of the orders pushed. */
      warehouseId: z.union([z.string().min(1), z.int().positive()]).optional(),
      /** V2 API (inventory) when it is not https://api.shipstation.com. */
      v2BaseUrl: httpUrl('https://api.shipstation.com').optional(),
      /** Where V2 webhook signing keys are published (default ShipStation's JWKS). */
      webhookJwksUrl: httpUrl('https://api.shipengine.com/jwks').optional(),
      /** Which SKUs' on-hand stock the ERP owns, and the V2 location for SKUs ShipStation holds nowhere yet. */
      inventory: z
        .strictObject({
          skus: z.array(nonEmpty('"GSK-0310"')).optional(),
          locationId: nonEmpty('"se-123456"').optional(),
        })
        .optional(),
    })
    .prefault({}),
  z.strictObject({ apiKey: ref, apiSecret: ref, v2ApiKey: ref, webhookSecret: ref }).prefault({}),
  'https://ssapi.shipstation.com',
);

export const connectionSchema = z.discriminatedUnion('system', [
  plexConnection,
  exactConnection,
  ifsConnection,
  sagex3Connection,
  fedexConnection,
  shipstationConnection,
]);

const connectionName = z.string().regex(CONNECTION_NAME, {
  error: 'is not a valid connection name (use lower-case letters, digits and "-", at most 63 characters)',
});

const positiveNumber = (example: string) =>
  z
    .number({ error: `is not a number (write e.g. ${example})` })
    .positive({ error: `must be positive (write e.g. ${example})` });

/** The warehouse the goods leave from (the shipper on the label). */
const shipFromSchema = z.strictObject({
  name: nonEmpty('"Shipping Dept"').optional(),
  company: nonEmpty('"Acme Manufacturing"').optional(),
  lines: z.array(nonEmpty('"100 Industrial Way"')).min(1, { error: 'needs at least one street line' }).max(3),
  city: nonEmpty('"Memphis"'),
  stateOrProvince: nonEmpty('"TN"').optional(),
  postalCode: nonEmpty('"38118"').optional(),
  countryCode: z
    .string()
    .regex(/^[A-Z]{2}$/, { error: 'is not an ISO 3166-1 alpha-2 code (write e.g. "US")' }),
  phone: nonEmpty('"9015550100"'),
  email: nonEmpty('"shipping@example.com"').optional(),
});

const mappingSchema = z.strictObject({
  /** Required for carriers that make labels (FedEx); a warehouse system (ShipStation) knows its own. */
  shipFrom: shipFromSchema.optional(),
  /** How order lines become packages: all lines share packages, or each line starts its own. */
  packing: z
    .strictObject({
      mode: z.enum(['consolidated', 'per_line']).default('consolidated'),
      maxPackageWeight: z
        .strictObject({ value: positiveNumber('30'), unit: z.enum(['KG', 'LB']).default('KG') })
        .prefault({ value: 30 }),
    })
    .optional(),
  label: z
    .strictObject({
      format: z.enum(['PDF', 'ZPL']).default('PDF'),
      delivery: z.enum(['LABEL', 'URL_ONLY']).default('LABEL'),
    })
    .optional(),
  /** Who pays the freight; the carrier connection's account (SENDER) by default. */
  payment: z
    .strictObject({
      type: z.enum(['SENDER', 'THIRD_PARTY', 'RECIPIENT']),
      account: nonEmpty('"123456789"').optional(),
    })
    .optional(),
  packagingType: nonEmpty('"YOUR_PACKAGING"').optional(),
  erp: connectionName,
  carrier: connectionName,
  /** Carrier account to bill, when it differs from the carrier connection's own account. */
  carrierAccount: nonEmpty('"123456789"').optional(),
  /** ERP ship-via code -> carrier service code (e.g. "FDX-GROUND": "FEDEX_GROUND"). */
  serviceLevels: stringMap.prefault({}),
  /** Required for carriers that make labels (FedEx). */
  defaultService: nonEmpty('"FEDEX_GROUND"').optional(),
  /** ERP division/building code -> carrier-side value (e.g. a ShipStation store or a FedEx reference). */
  divisions: stringMap.optional(),
  /** ERP cost centre -> carrier reference printed on the label and invoice. */
  costCenters: stringMap.optional(),
});

const optionalPositive = (what: string) => positiveInt(what).optional();

export const configSchema = z
  .strictObject({
    temporal: z
      .strictObject({
        /** host:port of a Temporal frontend; unset means the embedded dev server. */
        address: z
          .string()
          .regex(/^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, {
            error:
              'is not host:port (set it to e.g. 127.0.0.1:7233 or <namespace>.<account>.tmprl.cloud:7233)',
          })
          .optional(),
        namespace: nonEmpty('"default"').default('default'),
        taskQueue: nonEmpty('"ml-connector"').default('ml-connector'),
        tls: z
          .strictObject({
            serverName: nonEmpty('"my-ns.a1b2c.tmprl.cloud"').optional(),
            caFile: nonEmpty('"certs/ca.pem"').optional(),
            certFile: nonEmpty('"certs/client.pem"').optional(),
            keyFile: nonEmpty('"certs/client.key"').optional(),
          })
          .optional(),
        /** Temporal Cloud API key, as a credential reference. */
        apiKey: credentialReference.optional(),
        devServer: z
          .strictObject({
            port: port.optional(),
            uiPort: port.optional(),
            /** Defaults to <dataDir>/temporal.db. */
            dbFile: nonEmpty('".data/temporal.db"').optional(),
          })
          .prefault({}),
      })
      .prefault({}),
    /** Directory for local state: embedded PostgreSQL, dev-server database, master key. */
    dataDir: nonEmpty('".data"').default('.data'),
    database: z
      .strictObject({
        url: z
          .string()
          .regex(/^postgres(?:ql)?:\/\/\S+$/, {
            error:
              'is not a PostgreSQL URL (set it to e.g. postgres://user@127.0.0.1:5432/mlc, or remove it to use the embedded database)',
          })
          .optional(),
      })
      .prefault({}),
    http: z
      .strictObject({
        host: nonEmpty('"127.0.0.1"').default('127.0.0.1'),
        port: port.default(8080),
        /** Bearer token for the operator API (/api/...) as a credential reference; required when the HTTP server is not on loopback. */
        opsToken: credentialReference.optional(),
        /** The payload codec endpoint (/codec/decode) that lets the Temporal Web UI show encrypted payloads. */
        codec: z
          .strictObject({
            /** Browser origins of the Web UI allowed to call it (the dev server's UI is always allowed). */
            allowedOrigins: z
              .array(
                z.string().regex(/^https?:\/\/[^/\s]+$/, {
                  error:
                    'is not an origin (write scheme://host[:port] without a path, e.g. "https://temporal.example.com")',
                }),
              )
              .default([]),
            /** Bearer token the caller must send, as a credential reference; recommended outside localhost. */
            token: credentialReference.optional(),
          })
          .prefault({}),
      })
      .prefault({}),
    log: z.strictObject({ level: z.enum(LOG_LEVELS).default('info') }).prefault({}),
    worker: z
      .strictObject({
        /** Orders kept in a worker's workflow cache (~0.55 MB each); evicted ones replay their short history. */
        maxCachedWorkflows: positiveInt('e.g. 150').default(150),
      })
      .prefault({}),
    vault: z
      .strictObject({
        /** Defaults to <dataDir>/master.key. */
        keyFile: nonEmpty('".data/master.key"').optional(),
      })
      .prefault({}),
    connections: z.record(connectionName, connectionSchema).prefault({}),
    mappings: z.array(mappingSchema).prefault([]),
    schedules: z
      .strictObject({
        erpPoll: z.strictObject({ every: duration('5m').default('5m') }).prefault({}),
        trackingSweep: z.strictObject({ every: duration('15m').default('15m') }).prefault({}),
        /** Warehouse systems (ShipStation): the safety net under their shipment webhooks. */
        shipmentPoll: z.strictObject({ every: duration('10m').default('10m') }).prefault({}),
        /** ERP on-hand stock into the warehouse system's inventory (needs a V2 key for ShipStation). */
        inventorySync: z
          .strictObject({ every: duration('30m').default('30m'), enabled: z.boolean().default(true) })
          .prefault({}),
      })
      .prefault({}),
    /**
     * Each order's calls to ERPs and carriers: attempts per call before its step gives up, and how
     * an order waits out an outage longer than that (tries again by itself, backing off, before it
     * asks a person).
     */
    orders: z
      .strictObject({
        callAttempts: positiveInt('e.g. 10').default(10),
        waitFirstPause: duration('1m').default('1m'),
        waitMaxPause: duration('1h').default('1h'),
        waitGiveUpAfter: duration('24h').default('24h'),
      })
      .prefault({}),
    limits: z
      .strictObject({
        fedex: z
          .strictObject({
            transactionsPer10s: positiveInt('e.g. 1400').default(1400),
            // FedEx throttles the token endpoint per IP but does not publish the figure: stay low.
            tokenRequestsPerMinute: positiveInt('e.g. 12').default(12),
            lockoutMinutes: positiveInt('e.g. 10').default(10),
          })
          .prefault({}),
        plex: z.strictObject({ callsPerMinute: positiveInt('e.g. 200').default(200) }).prefault({}),
        exact: z
          .strictObject({
            callsPerMinute: positiveInt('e.g. 60').default(60),
            callsPerDay: positiveInt('e.g. 5000').default(5000),
          })
          .prefault({}),
        // IFS and Sage X3 publish no limits (they depend on the customer's installation).
        ifs: z.strictObject({ callsPerMinute: optionalPositive('e.g. 300') }).prefault({}),
        sagex3: z.strictObject({ callsPerMinute: optionalPositive('e.g. 300') }).prefault({}),
        shipstation: z
          .strictObject({
            v1PerMinute: positiveInt('e.g. 40').default(40),
            v2PerMinute: positiveInt('e.g. 200').default(200),
          })
          .prefault({}),
      })
      .prefault({}),
  })
  .superRefine(crossCheck);

type Parsed = z.output<typeof connectionSchema>;

/** Credential fields a connection needs before it can talk to the real system. */
export function requiredCredentials(conn: Parsed): string[] {
  switch (conn.system) {
    case 'plex':
      return ['apiKey'];
    case 'shipstation':
      return conn.settings.apiVersion === 'v1' ? ['apiKey', 'apiSecret'] : ['apiKey'];
    default:
      return ['clientId', 'clientSecret'];
  }
}

/** The real system's URL when the config names none (IFS and Sage X3 are per customer). */
export function defaultBaseUrl(conn: Parsed): string | undefined {
  switch (conn.system) {
    case 'plex':
      return 'https://connect.plex.com';
    case 'exact':
      return 'https://start.exactonline.nl';
    case 'fedex':
      return 'https://apis.fedex.com';
    case 'shipstation':
      return conn.settings.apiVersion === 'v1'
        ? 'https://ssapi.shipstation.com'
        : 'https://api.shipstation.com';
    default:
      return undefined;
  }
}

type RawConfig = {
  connections: Record<string, Parsed>;
  mappings: Array<{ erp: string; carrier: string; shipFrom?: unknown; defaultService?: string }>;
  temporal: { tls?: { certFile?: string; keyFile?: string } };
};

/** Rules that span several keys: mapping targets, and what a never-simulated connection needs. */
function crossCheck(config: RawConfig, ctx: z.RefinementCtx): void {
  const names = Object.keys(config.connections);
  config.mappings.forEach((m, i) => {
    const check = (side: 'erp' | 'carrier', isKind: (s: string) => boolean, kind: string) => {
      const target = config.connections[m[side]];
      if (!target) {
        ctx.addIssue({
          code: 'custom',
          path: ['mappings', i, side],
          input: m[side],
          params: {
            kind: 'unknownConnection',
            candidates: names.filter((n) => isKind(config.connections[n]!.system)),
          },
          message: `names no connection`,
        });
      } else if (!isKind(target.system)) {
        ctx.addIssue({
          code: 'custom',
          path: ['mappings', i, side],
          input: m[side],
          message: `is a ${target.system} connection, not ${kind} (name ${kind} connection here)`,
        });
      }
    };
    check('erp', isErpSystem, 'an ERP');
    check('carrier', isCarrierSystem, 'a carrier');
    if (config.connections[m.carrier]?.system === 'fedex') {
      for (const key of ['shipFrom', 'defaultService'] as const) {
        if (m[key] === undefined) {
          ctx.addIssue({
            code: 'custom',
            path: ['mappings', i, key],
            params: { hideValue: true },
            message: `is required for a FedEx mapping (the ${key === 'shipFrom' ? 'address the goods leave from' : 'service when the order names none, e.g. FEDEX_GROUND'})`,
          });
        }
      }
    }
  });

  for (const [name, conn] of Object.entries(config.connections)) {
    if (conn.simulator !== 'never') continue;
    const creds = conn.credentials as Record<string, string | undefined>;
    for (const field of requiredCredentials(conn)) {
      if (!creds[field]) {
        ctx.addIssue({
          code: 'custom',
          path: ['connections', name, 'credentials', field],
          params: { hideValue: true },
          message: `is required when simulator is "never" (add ${field}: vault:${name}.${field})`,
        });
      }
    }
    if (!conn.baseUrl && !defaultBaseUrl(conn)) {
      ctx.addIssue({
        code: 'custom',
        path: ['connections', name, 'baseUrl'],
        params: { hideValue: true },
        message: `is required for ${conn.system} when simulator is "never" (set it to the system's URL)`,
      });
    }
  }

  const tls = config.temporal.tls;
  if (tls && Boolean(tls.certFile) !== Boolean(tls.keyFile)) {
    ctx.addIssue({
      code: 'custom',
      path: ['temporal', 'tls', tls.certFile ? 'keyFile' : 'certFile'],
      params: { hideValue: true },
      message: 'is required with the other one (mTLS needs both certFile and keyFile)',
    });
  }
}

export type ParsedConfig = z.output<typeof configSchema>;
export type ConnectionConfig = z.output<typeof connectionSchema>;
export type MappingConfig = z.output<typeof mappingSchema>;
export type ConnectionOf<S extends System> = Extract<ConnectionConfig, { system: S }>;

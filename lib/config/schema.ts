import { z } from 'zod';
import { SHIPMENT_PURPOSES, TERMS_OF_SALE } from '../../domain/customs';
import { isDuration } from './duration';

// The configuration schema. Every object is strict so a typo is an error, never a silently
// ignored key. Custom messages are written to follow `<key>: <value> ` (see errors.ts) and end with
// the fix in parentheses.

/**
 * What one system (an ERP or a carrier) tells the configuration about itself. The configuration
 * names no system: the connector registry (connectors/registry.ts) hands these in, and the schema
 * of `connections.<name>` and `limits.<system>` is built from them.
 */
export interface SystemConfigSpec {
  /** The value of `system:` in a connection (lower case, e.g. the registry's ids). */
  id: string;
  /** The product's name for people, as its maker writes it. */
  title: string;
  role: 'erp' | 'carrier';
  /**
   * A carrier's way of shipping: `label` (the connector buys a label per order, so a mapping needs
   * shipFrom and defaultService) or `warehouse` (the system picks, packs and ships the order itself).
   */
  mode?: 'label' | 'warehouse';
  /** Schema of `connections.<name>.settings` (strict; defaults filled in). */
  settings: z.ZodType;
  /** Credential fields a connection may name (each a vault: or env: reference). */
  credentialFields: readonly string[];
  /** The fields without which the real system cannot be reached. */
  requiredCredentials(settings: Record<string, unknown>): string[];
  /** The real system's URL when the connection names none; undefined when it is per customer. */
  defaultBaseUrl(settings: Record<string, unknown>): string | undefined;
  /** An example base URL for messages. */
  urlExample: string;
  /** Schema of `limits.<id>` (strict; defaults filled in). */
  limits: z.ZodType;
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
          'is not a valid env reference (write env:<VAR> with a variable name such as CARRIER_CLIENT_SECRET)',
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

export function httpUrl(example: string) {
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
export const positiveInt = (what: string) =>
  z.int({ error: `is not a whole number (write a positive integer ${what})` }).positive({
    error: `must be a positive integer (write ${what})`,
  });
export const nonEmpty = (example: string) =>
  z
    .string({ error: `is not a string (write e.g. ${example})` })
    .min(1, { error: `is empty (write e.g. ${example})` });
const duration = (example: string) =>
  z.string().refine(isDuration, {
    message: `is not a duration (write a number followed by ms, s, m or h, e.g. ${example})`,
  });
export const stringMap = z.record(nonEmpty('"CODE"'), nonEmpty('"VALUE"'));

const simulator = z.enum(['auto', 'always', 'never']).default('auto');

const ref = credentialReference.optional();

/** The schema of a connection of one system: a misspelt credential field is an error, not a silent simulator. */
function connectionOf(spec: SystemConfigSpec) {
  return z.strictObject({
    system: z.literal(spec.id),
    baseUrl: httpUrl(spec.urlExample).optional(),
    simulator,
    credentials: z.strictObject(Object.fromEntries(spec.credentialFields.map((f) => [f, ref]))).prefault({}),
    settings: spec.settings,
  });
}

/** A connection as every part of the app but its own connector sees it. */
export interface ConnectionConfig {
  system: string;
  baseUrl?: string;
  simulator: 'auto' | 'always' | 'never';
  credentials: Record<string, CredentialReference | undefined>;
  /** Validated by the system's own schema; its connector reads it with that schema's type. */
  settings: Record<string, unknown>;
}

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

const countryCode = z
  .string()
  .regex(/^[A-Z]{2}$/, { error: 'is not an ISO 3166-1 alpha-2 code (write e.g. "US")' });

const customsSchema = z.strictObject({
  /**
   * The country the goods leave from, for a warehouse mapping without `shipFrom` (a warehouse
   * system keeps its own ship-from address, which the connector does not read): an order shipped
   * to another country gets customs. `shipFrom.countryCode` wins where both are set; "US" when
   * neither is (the warehouse connector's README says why).
   */
  originCountry: countryCode.optional(),
  /** Why the goods travel, on the commercial invoice. */
  purpose: z.enum(SHIPMENT_PURPOSES).default('SOLD'),
  /** Incoterm on the commercial invoice. */
  termsOfSale: z.enum(TERMS_OF_SALE).default('DAP'),
  /** Who pays duties and taxes at import: the recipient unless configured. */
  dutiesPayment: z
    .strictObject({
      payer: z.enum(['SENDER', 'RECIPIENT', 'THIRD_PARTY']).default('RECIPIENT'),
      account: nonEmpty('"123456789"').optional(),
    })
    .prefault({}),
  /** The importer of record, when it is not the recipient. */
  importerOfRecord: shipFromSchema
    .extend({
      accountNumber: nonEmpty('"123456789"').optional(),
      taxId: nonEmpty('"123456789RT0001"').optional(),
    })
    .optional(),
  /** Unit of the invoice lines' quantities (default PCS). */
  quantityUnit: nonEmpty('"PCS"').optional(),
  /** Values used where the ERP has none: per part number, then for the whole mapping. */
  defaults: z
    .strictObject({
      countryOfManufacture: countryCode.optional(),
      parts: z
        .record(
          nonEmpty('"GSK-0310"'),
          z.strictObject({
            hsCode: z
              .string()
              .regex(/^\d{4}(\.?\d{2}){0,3}$/, {
                error: 'is not an HS code (write 4 to 10 digits, e.g. "8482.10")',
              })
              .optional(),
            countryOfManufacture: countryCode.optional(),
            description: nonEmpty('"Ball bearings, steel"').optional(),
          }),
        )
        .optional(),
    })
    .optional(),
  /** USMCA details on shipments between the US, Mexico and Canada. */
  usmca: z.strictObject({ originCriterion: z.enum(['A', 'B', 'C', 'D']) }).optional(),
});

const mappingSchema = z.strictObject({
  /** Required for carriers that make labels; a warehouse system knows its own. */
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
  /** ERP ship-via code -> carrier service code (e.g. "GND": "GROUND_HOME_DELIVERY"). */
  serviceLevels: stringMap.prefault({}),
  /** Required for carriers that make labels. */
  defaultService: nonEmpty('"GROUND_HOME_DELIVERY"').optional(),
  /** ERP division/building code -> carrier-side value (e.g. a warehouse store or a carrier reference). */
  divisions: stringMap.optional(),
  /** ERP cost centre -> carrier reference printed on the label and invoice. */
  costCenters: stringMap.optional(),
  /** For orders whose goods cross a border (domain/customs.ts); the defaults apply when absent. */
  customs: customsSchema.optional(),
});

/** The whole configuration's schema, for the systems the registry knows. */
export function buildConfigSchema(systems: readonly SystemConfigSpec[]) {
  const byId = new Map(systems.map((s) => [s.id, s]));
  const [first, ...rest] = systems.map(connectionOf);
  if (!first) throw new Error('buildConfigSchema needs at least one system');
  // The union's members differ per registry, so its static type is the generic ConnectionConfig.
  const connectionSchema = z.discriminatedUnion('system', [first, ...rest]) as unknown as z.ZodType<
    ConnectionConfig,
    unknown
  >;
  const limits = z.strictObject(
    Object.fromEntries(systems.map((s) => [s.id, s.limits])),
  ) as unknown as z.ZodType<Record<string, Record<string, unknown>>, unknown>;
  return z
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
          /** Warehouse systems: the safety net under their shipment webhooks. */
          shipmentPoll: z.strictObject({ every: duration('10m').default('10m') }).prefault({}),
          /** ERP on-hand stock into the warehouse system's inventory (some warehouse systems need a separate key for it). */
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
      /** Each system's call limits, under its id (connectors/<system>/system.ts declares them). */
      limits: limits.prefault({}),
    })
    .superRefine((config, ctx) => crossCheck(config as RawConfig, ctx, byId));
}

export type ConfigSchema = ReturnType<typeof buildConfigSchema>;

type Systems = ReadonlyMap<string, SystemConfigSpec>;

/** Credential fields a connection needs before it can talk to the real system. */
export function requiredCredentials(conn: ConnectionConfig, spec: SystemConfigSpec | undefined): string[] {
  return spec ? spec.requiredCredentials(conn.settings) : [];
}

/** The real system's URL when the config names none (undefined for systems hosted per customer). */
export function defaultBaseUrl(
  conn: ConnectionConfig,
  spec: SystemConfigSpec | undefined,
): string | undefined {
  return spec?.defaultBaseUrl(conn.settings);
}

type RawConfig = {
  connections: Record<string, ConnectionConfig>;
  mappings: Array<{ erp: string; carrier: string; shipFrom?: unknown; defaultService?: string }>;
  temporal: { tls?: { certFile?: string; keyFile?: string } };
};

/** Rules that span several keys: mapping targets, and what a never-simulated connection needs. */
function crossCheck(config: RawConfig, ctx: z.RefinementCtx, systems: Systems): void {
  const names = Object.keys(config.connections);
  const roleOf = (system: string) => systems.get(system)?.role;
  config.mappings.forEach((m, i) => {
    const check = (side: 'erp' | 'carrier', kind: string) => {
      const target = config.connections[m[side]];
      if (!target) {
        ctx.addIssue({
          code: 'custom',
          path: ['mappings', i, side],
          input: m[side],
          params: {
            kind: 'unknownConnection',
            candidates: names.filter((n) => roleOf(config.connections[n]!.system) === side),
          },
          message: `names no connection`,
        });
      } else if (roleOf(target.system) !== side) {
        ctx.addIssue({
          code: 'custom',
          path: ['mappings', i, side],
          input: m[side],
          message: `is a ${target.system} connection, not ${kind} (name ${kind} connection here)`,
        });
      }
    };
    check('erp', 'an ERP');
    check('carrier', 'a carrier');
    const carrier = systems.get(config.connections[m.carrier]?.system ?? '');
    if (carrier?.role === 'carrier' && carrier.mode === 'label') {
      for (const key of ['shipFrom', 'defaultService'] as const) {
        if (m[key] === undefined) {
          ctx.addIssue({
            code: 'custom',
            path: ['mappings', i, key],
            params: { hideValue: true },
            message: `is required for a ${carrier.title} mapping (the ${key === 'shipFrom' ? 'address the goods leave from' : "service when the order names none, e.g. the carrier's ground service"})`,
          });
        }
      }
    }
  });

  for (const [name, conn] of Object.entries(config.connections)) {
    if (conn.simulator !== 'never') continue;
    const creds = conn.credentials as Record<string, string | undefined>;
    const spec = systems.get(conn.system);
    for (const field of requiredCredentials(conn, spec)) {
      if (!creds[field]) {
        ctx.addIssue({
          code: 'custom',
          path: ['connections', name, 'credentials', field],
          params: { hideValue: true },
          message: `is required when simulator is "never" (add ${field}: vault:${name}.${field})`,
        });
      }
    }
    if (!conn.baseUrl && !defaultBaseUrl(conn, spec)) {
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

export type ParsedConfig = z.output<ConfigSchema>;
export type MappingConfig = z.output<typeof mappingSchema>;

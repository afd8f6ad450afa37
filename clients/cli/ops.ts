import type { Config } from '../../lib/config';
import { resolveCredential, type Vault } from '../../lib/vault';
import { UsageError, type ParsedArgs } from './args';

/**
 * `orders`, `schedules` and `connections test`: thin calls to the running app's operator API, which
 * holds the database and the Temporal client. Output is plain text, one line per thing.
 */
export interface OpsCliDeps {
  config: Config;
  /** Only needed when http.opsToken is configured. */
  openVault?: () => Promise<Vault>;
  out?: (line: string) => void;
}

/** Shapes of the operator API's answers, as far as the CLI prints them. */
interface ApiError {
  error?: string;
}
interface OrderRow {
  connection: string;
  order_key: string;
  erp_order_number: string;
  status: string;
  reason: string | null;
  tracking_number: string | null;
  workflow_id: string;
}
interface OrderDetail {
  order: OrderRow;
  shipment?: {
    carrier: string;
    status: string;
    master_tracking_number: string | null;
    service_type: string | null;
    cost_amount: string | null;
    cost_currency: string | null;
    label_ref: string | null;
    label_url: string | null;
  };
  trackingEvents: Array<{
    event_time: string;
    status: string;
    raw_code: string | null;
    description: string | null;
    location: string | null;
  }>;
  audit: Array<{
    at: string;
    action: string;
    outcome: string;
    http_status: number | null;
    details?: { reason?: string };
  }>;
  workflow?: { step: string; trackingStatus?: string };
  timeline: Array<{ at: string; event: string; detail?: string }>;
}
interface ScheduleRow {
  id: string;
  missing?: boolean;
  paused?: boolean;
  everyMs?: number[];
  nextActionTimes?: string[];
}

/** The operator API token, when one is configured. env: references resolve without the database (which the running app may hold open). */
async function opsBearer(deps: OpsCliDeps): Promise<string | undefined> {
  const ref = deps.config.http.opsToken;
  if (!ref) return undefined;
  const token = ref.startsWith('env:')
    ? process.env[ref.slice(4)]
    : deps.openVault && (await resolveCredential(ref, { vault: await deps.openVault(), env: process.env }));
  if (!token)
    throw new Error(`http.opsToken ${ref} cannot be resolved here (use an env: reference for the CLI)`);
  return token;
}

async function call<T>(
  deps: OpsCliDeps,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: T & ApiError }> {
  const { host, port, opsToken } = deps.config.http;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (opsToken) {
    // env: references resolve without the database (which the running app may hold open).
    const token = opsToken.startsWith('env:')
      ? process.env[opsToken.slice(4)]
      : deps.openVault &&
        (await resolveCredential(opsToken, { vault: await deps.openVault(), env: process.env }));
    if (!token)
      throw new Error(
        `http.opsToken ${opsToken} cannot be resolved here (use an env: reference for the CLI)`,
      );
    headers.authorization = `Bearer ${token}`;
  }
  const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}${path}`;
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
  } catch {
    throw new Error(
      `cannot reach ml-connector at ${url.replace(path, '')} (is \`ml-connector start\` or \`serve\` running with this config?)`,
    );
  }
  const text = await res.text();
  let json: T & ApiError;
  try {
    json = text ? JSON.parse(text) : {};
  } catch {
    json = { error: text.slice(0, 200) } as T & ApiError;
  }
  return { status: res.status, json };
}

const enc = encodeURIComponent;

/** A binary GET (label documents). */
async function download(deps: OpsCliDeps, path: string): Promise<Buffer> {
  const { host, port } = deps.config.http;
  const headers: Record<string, string> = {};
  const token = await opsBearer(deps);
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(`http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}${path}`, {
    headers,
    signal: AbortSignal.timeout(30_000),
  });
  if (!res.ok) throw new Error(`label download failed: HTTP ${res.status}`);
  return Buffer.from(await res.arrayBuffer());
}

function splitOrderRef(ref: string | undefined, config: Config): [string, string] {
  if (!ref)
    throw new UsageError(
      'name the order as <connection>/<order key>, or just <order key> when there is one ERP connection',
    );
  const slash = ref.indexOf('/');
  if (slash > 0) return [ref.slice(0, slash), ref.slice(slash + 1)];
  const erps = config.mappings.map((m) => m.erp);
  const unique = [...new Set(erps)];
  if (unique.length !== 1)
    throw new UsageError(`several ERP connections (${unique.join(', ')}): write <connection>/${ref}`);
  return [unique[0]!, ref];
}

export async function ordersCommand(args: ParsedArgs, deps: OpsCliDeps): Promise<number> {
  const out = deps.out ?? ((l: string) => console.log(l));
  const [, sub, ref] = args.positional;
  const fail = (r: { json: ApiError }) => {
    out(`error: ${r.json?.error ?? 'request failed'}`);
    return 1;
  };
  switch (sub) {
    case 'list': {
      const q = new URLSearchParams();
      if (typeof args.flags.status === 'string') q.set('status', args.flags.status);
      if (typeof args.flags.connection === 'string') q.set('connection', args.flags.connection);
      const r = await call<{ orders: OrderRow[]; counts: Record<string, number> }>(
        deps,
        'GET',
        `/api/orders?${q}`,
      );
      if (r.status !== 200) return fail(r);
      for (const o of r.json.orders) {
        out(
          `${o.connection}/${o.order_key}  ${o.erp_order_number.padEnd(14)} ${o.status.padEnd(17)} ${o.tracking_number ?? '-'}  ${o.reason ?? ''}`.trimEnd(),
        );
      }
      out(
        `counts: ${
          Object.entries(r.json.counts)
            .map(([k, v]) => `${k}=${v}`)
            .join(' ') || 'none'
        }`,
      );
      return 0;
    }
    case 'show': {
      const [conn, key] = splitOrderRef(ref, deps.config);
      const r = await call<OrderDetail>(deps, 'GET', `/api/orders/${enc(conn)}/${enc(key)}`);
      if (r.status !== 200) return fail(r);
      const { order, shipment, trackingEvents, audit, workflow, timeline } = r.json;
      out(`order ${order.erp_order_number} (${conn}/${key})  workflow ${order.workflow_id}`);
      out(`status: ${order.status}${order.reason ? `  reason: ${order.reason}` : ''}`);
      if (workflow) out(`step: ${workflow.step}  tracking status: ${workflow.trackingStatus ?? '-'}`);
      if (shipment) {
        out(
          `shipment: ${shipment.carrier} ${shipment.status} ${shipment.master_tracking_number ?? ''} ${shipment.service_type ?? ''} ` +
            `${shipment.cost_amount ? `${shipment.cost_amount} ${shipment.cost_currency}` : ''} label ${shipment.label_ref ?? shipment.label_url ?? '-'}`,
        );
      }
      for (const e of trackingEvents)
        out(
          `  tracking ${e.event_time}  ${e.status.padEnd(16)} ${e.raw_code ?? ''} ${e.description ?? ''} ${e.location ?? ''}`.trimEnd(),
        );
      // One timeline from workflow history and the audit log, in time order.
      const merged = [
        ...timeline.map((t) => ({ at: t.at, line: `history  ${t.event}${t.detail ? `: ${t.detail}` : ''}` })),
        ...audit.map((a) => ({
          at: new Date(a.at).toISOString(),
          line: `audit    ${a.action} ${a.outcome}${a.http_status ? ` HTTP ${a.http_status}` : ''}${a.details?.reason ? `: ${a.details.reason}` : ''}`,
        })),
      ].sort((a, b) => a.at.localeCompare(b.at));
      out('timeline:');
      for (const m of merged) out(`  ${m.at}  ${m.line}`);
      return 0;
    }
    case 'label': {
      // Writes the label documents next to each other: <out>.pdf, <out>-2.pdf, ... (ZPL: .zpl), and a
      // commercial invoice (orders shipped abroad) as <out>-invoice.pdf.
      const [conn, key] = splitOrderRef(ref, deps.config);
      const r = await call<{
        labels: Array<{ id: string; format: string; kind?: string }>;
        url?: string;
      }>(deps, 'GET', `/api/orders/${enc(conn)}/${enc(key)}/labels`);
      if (r.status !== 200) return fail(r);
      if (r.json.labels.length === 0) {
        out(r.json.url ? `label is at the carrier: ${r.json.url}` : 'no label is stored for this order');
        return r.json.url ? 0 : 1;
      }
      const base = typeof args.flags.out === 'string' ? args.flags.out : `label-${key}`;
      const fs = await import('node:fs');
      const labels = r.json.labels.filter((l) => (l.kind ?? 'label') === 'label');
      const invoices = r.json.labels.filter((l) => l.kind === 'commercial_invoice');
      const named = [
        ...labels.map((l, i) => ({ l, name: `${base}${i ? `-${i + 1}` : ''}` })),
        ...invoices.map((l, i) => ({ l, name: `${base}-invoice${i ? `-${i + 1}` : ''}` })),
      ];
      for (const { l, name } of named) {
        const file = `${name}.${l.format === 'PDF' ? 'pdf' : 'zpl'}`;
        const bytes = await download(deps, `/api/labels/${enc(l.id)}`);
        fs.writeFileSync(file, bytes);
        out(`wrote ${file} (${bytes.length} bytes)`);
      }
      return 0;
    }
    case 'retry': {
      if (args.flags['all-failed']) {
        const r = await call<{ signalled: number }>(deps, 'POST', '/api/orders/retry-needs-attention');
        if (r.status !== 202) return fail(r);
        out(`retry signalled to ${r.json.signalled} order(s) in needs_attention`);
        return 0;
      }
      const [conn, key] = splitOrderRef(ref, deps.config);
      const r = await call(deps, 'POST', `/api/orders/${enc(conn)}/${enc(key)}/retry`);
      if (r.status !== 202) return fail(r);
      out(`retry signalled to ${conn}/${key}`);
      return 0;
    }
    case 'cancel': {
      const [conn, key] = splitOrderRef(ref, deps.config);
      const reason = typeof args.flags.reason === 'string' ? args.flags.reason : undefined;
      const r = await call(deps, 'POST', `/api/orders/${enc(conn)}/${enc(key)}/cancel`, { reason });
      if (r.status !== 202) return fail(r);
      out(`cancel signalled to ${conn}/${key}`);
      return 0;
    }
    default:
      throw new UsageError(
        'orders list [--status S] [--connection C] | show <order> | label <order> [--out FILE] | retry <order> | retry --all-failed | cancel <order> [--reason R]',
      );
  }
}

export async function schedulesCommand(args: ParsedArgs, deps: OpsCliDeps): Promise<number> {
  const out = deps.out ?? ((l: string) => console.log(l));
  const [, sub, id] = args.positional;
  if (sub === 'list' || sub === undefined) {
    const r = await call<{ schedules: ScheduleRow[] }>(deps, 'GET', '/api/schedules');
    if (r.status !== 200) return (out(`error: ${r.json?.error}`), 1);
    for (const s of r.json.schedules) {
      const every = (s.everyMs ?? [])
        .map((ms) => (ms % 60_000 === 0 ? `${ms / 60_000}m` : `${ms / 1000}s`))
        .join(',');
      out(
        s.missing
          ? `${s.id}  (not created yet)`
          : `${s.id}  every ${every}  ${s.paused ? 'PAUSED' : 'active'}  next ${s.nextActionTimes?.[0] ?? '-'}`,
      );
    }
    return 0;
  }
  if (!['pause', 'resume', 'trigger', 'backfill'].includes(sub) || !id) {
    throw new UsageError(
      'schedules list | pause <id> | resume <id> | trigger <id> | backfill <id> --start ISO --end ISO',
    );
  }
  const body = sub === 'backfill' ? { start: args.flags.start, end: args.flags.end } : undefined;
  const r = await call(deps, 'POST', `/api/schedules/${enc(id)}/${sub}`, body);
  if (r.status !== 202) return (out(`error: ${r.json?.error}`), 1);
  out(`${sub}: ${id}`);
  return 0;
}

export async function connectionsCommand(args: ParsedArgs, deps: OpsCliDeps): Promise<number> {
  const out = deps.out ?? ((l: string) => console.log(l));
  const [, sub, name] = args.positional;
  if (sub !== 'test' || !name) throw new UsageError('connections test <name>');
  if (!deps.config.connections[name]) {
    out(
      `error: no connection "${name}" in the configuration (known: ${Object.keys(deps.config.connections).join(', ')})`,
    );
    return 1;
  }
  const r = await call<{ ok?: boolean; reason?: string; message?: string }>(
    deps,
    'POST',
    `/api/connections/${enc(name)}/test`,
  );
  out(
    `${r.json.ok ? 'ok' : 'FAIL'}  ${name}: ${r.json.reason ?? ''}${r.json.message ? ` (${r.json.message})` : r.json.error ? ` (${r.json.error})` : ''}`,
  );
  return r.json.ok ? 0 : 1;
}

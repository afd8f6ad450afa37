import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

// A recording reverse proxy in front of each simulator: the connectors talk to it, it forwards
// every request unchanged and notes what the caller got back (status, or no answer at all), when,
// and for which endpoint. That is the request log the client-error invariant is computed from,
// taken where the app sees the system. It also notes FedEx access tokens as they are issued, so the
// secret scan can look for them.

export interface RequestRecord {
  /** Epoch ms when the request arrived. */
  at: number;
  /** "METHOD /path/template": ids in the path become {id}, the query string is dropped. */
  endpoint: string;
  /** The path as sent, without the query string (for reading the evidence afterwards). */
  path: string;
  /** The status the caller received; null when it received none (it gave up, or the upstream hung). */
  status: number | null;
}

export interface RecordingProxy {
  url: string;
  records: RequestRecord[];
  /** access_token values seen in 200 answers to POST /oauth/token. */
  issuedTokens: Set<string>;
  close(): Promise<void>;
}

const ID_SEGMENT = /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{16,}|\d+)$/i;

/** "/sales/v1/orders/<uuid>/lines" -> "/sales/v1/orders/{id}/lines". */
export function endpointOf(method: string, url: string): string {
  const path = url.split('?')[0] ?? url;
  const template = path
    .split('/')
    .map((s) => (ID_SEGMENT.test(decodeURIComponent(s)) ? '{id}' : s))
    .join('/');
  return `${method} ${template}`;
}

export async function startRecordingProxy(target: string): Promise<RecordingProxy> {
  const upstream = new URL(target);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const records: RequestRecord[] = [];
  const issuedTokens = new Set<string>();
  const sockets = new Set<Socket>();

  const server = http.createServer((req, res) => {
    const record: RequestRecord = {
      at: Date.now(),
      endpoint: endpointOf(req.method ?? 'GET', req.url ?? '/'),
      path: (req.url ?? '/').split('?')[0] ?? '/',
      status: null,
    };
    records.push(record);
    const captureToken = record.endpoint === 'POST /oauth/token';
    const out = http.request({
      host: upstream.hostname,
      port: upstream.port,
      method: req.method,
      path: req.url,
      headers: req.headers,
      agent,
    });
    let answered = false;
    out.on('response', (answer) => {
      answered = true;
      const status = answer.statusCode ?? 502;
      const chunks: Buffer[] = [];
      if (captureToken && status === 200) answer.on('data', (c: Buffer) => chunks.push(c));
      answer.on('end', () => {
        if (chunks.length === 0) return;
        try {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { access_token?: unknown };
          if (typeof body.access_token === 'string') issuedTokens.add(body.access_token);
        } catch {
          // not a token answer
        }
      });
      res.writeHead(status, answer.headers);
      answer.pipe(res);
      res.on('finish', () => {
        record.status = status;
      });
    });
    out.on('error', () => {
      if (!res.headersSent) res.destroy();
    });
    // The caller gave up (its timeout) before an answer: drop the upstream request too.
    res.on('close', () => {
      if (!answered || !res.writableFinished) out.destroy();
    });
    req.pipe(out);
  });
  server.keepAliveTimeout = 5000;
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    records,
    issuedTokens,
    close: () =>
      new Promise<void>((done) => {
        for (const s of sockets) s.destroy();
        agent.destroy();
        server.close(() => done());
      }),
  };
}

/**
 * Client errors (4xx other than 429) per endpoint, as the most that fell in any one hour. 429s are
 * the throttling the run injects on purpose and are counted apart.
 */
export function clientErrorsPerHour(records: RequestRecord[]): {
  worst: { endpoint: string; count: number } | undefined;
  byEndpoint: Record<string, number>;
  throttled: Record<string, number>;
} {
  const times = new Map<string, number[]>();
  const throttled: Record<string, number> = {};
  for (const r of records) {
    if (r.status === 429) throttled[r.endpoint] = (throttled[r.endpoint] ?? 0) + 1;
    else if (r.status !== null && r.status >= 400 && r.status < 500) {
      const list = times.get(r.endpoint) ?? [];
      list.push(r.at);
      times.set(r.endpoint, list);
    }
  }
  const byEndpoint: Record<string, number> = {};
  let worst: { endpoint: string; count: number } | undefined;
  for (const [endpoint, list] of times) {
    list.sort((a, b) => a - b);
    let most = 0;
    for (let i = 0, j = 0; j < list.length; j++) {
      while (list[j]! - list[i]! >= 3_600_000) i++;
      most = Math.max(most, j - i + 1);
    }
    byEndpoint[endpoint] = most;
    if (!worst || most > worst.count) worst = { endpoint, count: most };
  }
  return { worst, byEndpoint, throttled };
}

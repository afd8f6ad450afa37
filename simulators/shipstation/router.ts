/** What a route answers: a status and a JSON body (none for 204 and friends). */
export interface Reply {
  status: number;
  body?: unknown;
}

export interface RouteCall {
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
}

export interface Route {
  method: string;
  /** Path template, e.g. `/orders/{orderId}`; also the counter key together with the method. */
  template: string;
  regex: RegExp;
  handler: (call: RouteCall) => Reply;
}

export function route(method: string, template: string, handler: Route['handler']): Route {
  const pattern = template
    .replace(/\./g, '\\.')
    .replace(/\{(\w+)\}/g, (_m, name: string) => `(?<${name}>[^/]+)`);
  return { method, template, regex: new RegExp(`^${pattern}$`, 'i'), handler };
}

/** The first route whose template matches; literal templates are listed before `{id}` ones by the caller. */
export function matchRoute(
  routes: Route[],
  method: string,
  path: string,
): { route: Route; params: Record<string, string> } | undefined {
  for (const r of routes) {
    if (r.method !== method) continue;
    const m = r.regex.exec(path);
    if (m) {
      const params: Record<string, string> = {};
      for (const [k, v] of Object.entries(m.groups ?? {})) params[k] = decodeURIComponent(v);
      return { route: r, params };
    }
  }
  return undefined;
}

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { parse, parseDocument, YAMLMap } from 'yaml';
import { loadConfig } from '../../clients/config';

// There is no Docker engine on the build machines, so the production topology is checked by reading
// docker-compose.yml and the Dockerfile. Each rule returns a list of problems; the tests assert that
// the real files have none, and that breaking a copy of them is noticed.

const ROOT = path.resolve(__dirname, '..', '..');
const COMPOSE_FILE = path.join(ROOT, 'docker-compose.yml');
const DOCKERFILE = path.join(ROOT, 'Dockerfile');

type Service = Record<string, unknown>;
type Compose = { services: Record<string, Service>; volumes?: Record<string, unknown> };

const LONG_RUNNING = ['postgresql', 'temporal', 'temporal-ui', 'worker', 'http'];
const ONE_SHOT = ['temporal-schema', 'temporal-setup', 'migrate'];
const APP_SERVICES = ['migrate', 'worker', 'http'];
const SEARCH_ATTRIBUTES = [
  'MlcConnection',
  'MlcErpOrderNumber',
  'MlcCarrier',
  'MlcTrackingNumber',
  'MlcStatus',
];
const SECRET_NAME = /PASSWORD|PWD|SECRET|TOKEN|API_KEY|MASTER_KEY/;

function loadCompose(): Compose {
  // merge: true resolves the `<<: *anchor` keys the way compose does.
  return parse(fs.readFileSync(COMPOSE_FILE, 'utf8'), { merge: true }) as Compose;
}

/** Compose interpolation as far as the checks need it: defaults are applied, required vars stay. */
function interpolate(value: string): string {
  return value
    .replace(/\$\{(\w+):-([^}]*)\}/g, (_m, _name, fallback: string) => fallback)
    .replace(/\$\$/g, '$');
}

function env(service: Service): Record<string, string> {
  const raw = service.environment;
  if (raw === undefined) return {};
  if (Array.isArray(raw)) {
    return Object.fromEntries(
      raw.map((entry: string) => {
        const at = entry.indexOf('=');
        return [entry.slice(0, at), entry.slice(at + 1)];
      }),
    );
  }
  return Object.fromEntries(Object.entries(raw as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
}

function dependsOn(service: Service): Record<string, string> {
  const raw = (service.depends_on ?? {}) as Record<string, { condition?: string }> | string[];
  if (Array.isArray(raw)) return Object.fromEntries(raw.map((name) => [name, 'service_started']));
  return Object.fromEntries(
    Object.entries(raw).map(([name, dep]) => [name, dep.condition ?? 'service_started']),
  );
}

function healthTest(service: Service): string | undefined {
  const check = service.healthcheck as { test?: string | string[]; disable?: boolean } | undefined;
  if (!check || check.disable || check.test === undefined) return undefined;
  return Array.isArray(check.test) ? check.test.join(' ') : check.test;
}

/** Short-syntax port "host_ip:host:container" or "host:container" → parts. */
function ports(service: Service): { ip?: string; host: string; container: string }[] {
  return ((service.ports ?? []) as string[]).map((spec) => {
    const parts = String(spec).split(':');
    const container = parts.pop() ?? '';
    const host = parts.pop() ?? '';
    return { ip: parts.pop(), host, container };
  });
}

function checkServices(doc: Compose): string[] {
  const expected = [...LONG_RUNNING, ...ONE_SHOT].sort();
  const actual = Object.keys(doc.services ?? {}).sort();
  return JSON.stringify(actual) === JSON.stringify(expected)
    ? []
    : [`services are ${actual.join(',')}, expected ${expected.join(',')}`];
}

function checkImages(doc: Compose): string[] {
  const problems: string[] = [];
  for (const [name, service] of Object.entries(doc.services)) {
    const image = typeof service.image === 'string' ? interpolate(service.image) : undefined;
    if (!image) {
      problems.push(`${name}: no image`);
      continue;
    }
    const tag = image.includes(':') ? image.slice(image.lastIndexOf(':') + 1) : '';
    // A pinned tag is a version number, never `latest` and never a bare major like `15`.
    if (!/^\d+\.\d+(\.\d+)?([-.][\w.-]+)?$/.test(tag)) problems.push(`${name}: image ${image} is not pinned`);
  }
  const pinned: Record<string, string> = {
    temporal: 'temporalio/server:1.31.2',
    'temporal-schema': 'temporalio/admin-tools:1.31.2',
    'temporal-setup': 'temporalio/admin-tools:1.31.2',
  };
  for (const [name, image] of Object.entries(pinned)) {
    if (doc.services[name]?.image !== image) problems.push(`${name}: image must be ${image}`);
  }
  const pg = String(doc.services.postgresql?.image ?? '');
  if (!pg.startsWith('postgres:15')) problems.push(`postgresql: image ${pg} is not PostgreSQL 15`);
  if (!String(doc.services['temporal-ui']?.image ?? '').startsWith('temporalio/ui:')) {
    problems.push('temporal-ui: image is not temporalio/ui');
  }
  const appImages = new Set(APP_SERVICES.map((name) => doc.services[name]?.image));
  if (appImages.size !== 1) problems.push('app services do not share one image');
  for (const name of APP_SERVICES) {
    if (doc.services[name]?.build === undefined) problems.push(`${name}: no build context`);
  }
  return problems;
}

function checkPortsAndScaling(doc: Compose): string[] {
  const problems: string[] = [];
  const http = ports(doc.services.http ?? {});
  if (!http.some((p) => p.host === '8080' && p.container === '8080'))
    problems.push('http: 8080:8080 not published');
  const ui = ports(doc.services['temporal-ui'] ?? {});
  if (!ui.some((p) => p.host === '8233' && p.container === '8080'))
    problems.push('temporal-ui: 8233:8080 not published');
  // The UI and the frontend have no auth in this topology: published on loopback only.
  for (const name of ['temporal', 'temporal-ui']) {
    for (const p of ports(doc.services[name] ?? {})) {
      if (p.ip !== '127.0.0.1') problems.push(`${name}: port ${p.host} is not bound to 127.0.0.1`);
    }
  }
  for (const name of ['postgresql', 'worker', 'migrate', 'temporal-schema', 'temporal-setup']) {
    if (ports(doc.services[name] ?? {}).length > 0) problems.push(`${name}: publishes a host port`);
  }
  for (const [name, service] of Object.entries(doc.services)) {
    if (service.container_name !== undefined) problems.push(`${name}: fixed container_name blocks scaling`);
  }
  return problems;
}

function checkHealthchecks(doc: Compose): string[] {
  const problems: string[] = [];
  const pg = healthTest(doc.services.postgresql ?? {});
  if (!pg?.includes('pg_isready')) problems.push('postgresql: no pg_isready healthcheck');
  if (!healthTest(doc.services.temporal ?? {})) problems.push('temporal: no healthcheck');
  for (const name of ['worker', 'http']) {
    const check = healthTest(doc.services[name] ?? {});
    if (!check) {
      problems.push(`${name}: no healthcheck`);
      continue;
    }
    if (!/\bnode -e\b/.test(check) || !check.includes('/healthz'))
      problems.push(`${name}: healthcheck is not node fetch of /healthz`);
    if (/\b(curl|wget)\b/.test(check)) problems.push(`${name}: healthcheck uses a tool the slim image lacks`);
  }
  return problems;
}

function checkDependencies(doc: Compose): string[] {
  const want: [string, string, string][] = [
    ['temporal-schema', 'postgresql', 'service_healthy'],
    ['temporal', 'temporal-schema', 'service_completed_successfully'],
    ['temporal-setup', 'temporal', 'service_healthy'],
    ['temporal-ui', 'temporal', 'service_healthy'],
    ['migrate', 'postgresql', 'service_healthy'],
    ['worker', 'migrate', 'service_completed_successfully'],
    ['worker', 'temporal-setup', 'service_completed_successfully'],
    ['http', 'migrate', 'service_completed_successfully'],
    ['http', 'temporal-setup', 'service_completed_successfully'],
  ];
  const problems: string[] = [];
  for (const [service, dependency, condition] of want) {
    const actual = dependsOn(doc.services[service] ?? {})[dependency];
    if (actual !== condition)
      problems.push(`${service} -> ${dependency}: ${actual ?? 'missing'}, expected ${condition}`);
  }
  return problems;
}

function checkRestartAndCommands(doc: Compose): string[] {
  const problems: string[] = [];
  for (const name of LONG_RUNNING) {
    if (doc.services[name]?.restart !== 'unless-stopped')
      problems.push(`${name}: restart is not unless-stopped`);
  }
  // A one-shot with restart always/unless-stopped would run forever and never "complete".
  for (const name of ONE_SHOT) {
    const restart = String(doc.services[name]?.restart ?? 'no');
    if (!/^(no|on-failure(:\d+)?)$/.test(restart))
      problems.push(`${name}: restart ${restart} loops a one-shot`);
  }
  const commands: Record<string, string> = { migrate: 'migrate', worker: 'worker', http: 'serve' };
  for (const [name, command] of Object.entries(commands)) {
    const actual = doc.services[name]?.command;
    const first = Array.isArray(actual) ? actual[0] : String(actual ?? '').split(' ')[0];
    if (first !== command) problems.push(`${name}: command is ${String(actual)}, expected ${command}`);
  }
  return problems;
}

function checkEnvironment(doc: Compose): string[] {
  const problems: string[] = [];
  for (const name of APP_SERVICES) {
    const vars = env(doc.services[name] ?? {});
    for (const key of [
      'DATABASE_URL',
      'TEMPORAL_ADDRESS',
      'TEMPORAL_NAMESPACE',
      'MLC_MASTER_KEY',
      'MLC_HTTP__PORT',
      'MLC_CONFIG',
    ]) {
      if (!(key in vars)) problems.push(`${name}: ${key} not set`);
    }
    if (vars.TEMPORAL_ADDRESS !== undefined && interpolate(vars.TEMPORAL_ADDRESS) !== 'temporal:7233') {
      problems.push(`${name}: TEMPORAL_ADDRESS is not temporal:7233`);
    }
    if (vars.MLC_HTTP__HOST !== '0.0.0.0')
      problems.push(`${name}: MLC_HTTP__HOST must be 0.0.0.0 inside a container`);
    // The password inside the URL must come from the environment too.
    const url = vars.DATABASE_URL ?? '';
    if (!/^postgres(ql)?:\/\/(\$\{[^}]*\}|[^:@/]+):\$\{\w+:\?[^}]*\}@/.test(url))
      problems.push(`${name}: DATABASE_URL password is not \${VAR:?}`);
  }
  const server = env(doc.services.temporal ?? {});
  if (server.DB !== 'postgres12') problems.push('temporal: DB is not postgres12');
  if (server.POSTGRES_SEEDS !== 'postgresql') problems.push('temporal: POSTGRES_SEEDS is not postgresql');
  if (!server.DYNAMIC_CONFIG_FILE_PATH) problems.push('temporal: DYNAMIC_CONFIG_FILE_PATH not set');

  const ui = env(doc.services['temporal-ui'] ?? {});
  if (ui.TEMPORAL_ADDRESS !== 'temporal:7233')
    problems.push('temporal-ui: TEMPORAL_ADDRESS is not temporal:7233');
  if (!interpolate(ui.TEMPORAL_CODEC_ENDPOINT ?? '').endsWith('/codec'))
    problems.push('temporal-ui: no codec endpoint');
  // The browser calls /codec from the UI's origin, so the app must allow that origin (CORS).
  const uiPort = ports(doc.services['temporal-ui'] ?? {})[0]?.host;
  let origins: unknown;
  try {
    origins = JSON.parse(interpolate(env(doc.services.http ?? {}).MLC_HTTP__CODEC__ALLOWED_ORIGINS ?? ''));
  } catch {
    origins = undefined;
  }
  if (!Array.isArray(origins) || !origins.includes(`http://localhost:${uiPort}`)) {
    problems.push('http: the Web UI origin is not in MLC_HTTP__CODEC__ALLOWED_ORIGINS');
  }

  // Secrets: only `${VAR:?message}` references, i.e. required and without a default.
  for (const [name, service] of Object.entries(doc.services)) {
    for (const [key, value] of Object.entries(env(service))) {
      if (SECRET_NAME.test(key) && !/^\$\{\w+:\?[^}]*\}$/.test(value)) {
        problems.push(`${name}: ${key} is not a required \${VAR:?} reference`);
      }
    }
  }
  return problems;
}

/** Host paths that a service mounts, relative to the compose file. */
function bindMounts(service: Service): { source: string; target: string }[] {
  return ((service.volumes ?? []) as string[])
    .map((spec) => String(spec).split(':'))
    .filter(([source]) => source !== undefined && /^\.{1,2}\//.test(source))
    .map(([source, target]) => ({ source: source ?? '', target: target ?? '' }));
}

function checkVolumes(doc: Compose): string[] {
  const problems: string[] = [];
  const pgVolumes = (doc.services.postgresql?.volumes ?? []) as string[];
  const data = pgVolumes.map(String).find((v) => v.endsWith(':/var/lib/postgresql/data'));
  const volumeName = data?.split(':')[0];
  if (!volumeName || !(doc.volumes && volumeName in doc.volumes)) {
    problems.push('postgresql: data is not on a declared named volume');
  }
  for (const [name, service] of Object.entries(doc.services)) {
    for (const mount of bindMounts(service)) {
      if (!fs.existsSync(path.join(ROOT, mount.source)))
        problems.push(`${name}: mounted ${mount.source} does not exist`);
    }
  }
  // The server refuses to start without its dynamic config file: it must be inside a mount.
  const configPath = env(doc.services.temporal ?? {}).DYNAMIC_CONFIG_FILE_PATH ?? '';
  const mount = bindMounts(doc.services.temporal ?? {}).find((m) => configPath.startsWith(`${m.target}/`));
  if (!mount || !fs.existsSync(path.join(ROOT, mount.source, configPath.slice(mount.target.length + 1)))) {
    problems.push(`temporal: ${configPath} is not a file mounted from the repository`);
  }
  // The one-shot services run scripts from the repository mount.
  for (const name of ['temporal-schema', 'temporal-setup']) {
    const entrypoint = ((doc.services[name]?.entrypoint ?? []) as string[]).join(' ');
    const script = entrypoint.split(' ').find((part) => part.endsWith('.sh'));
    const from = bindMounts(doc.services[name] ?? {}).find((m) => script?.startsWith(`${m.target}/`));
    if (
      !script ||
      !from ||
      !fs.existsSync(path.join(ROOT, from.source, script.slice(from.target.length + 1)))
    ) {
      problems.push(`${name}: entrypoint script is not mounted from the repository`);
    }
  }
  return problems;
}

const RULES = [
  checkServices,
  checkImages,
  checkPortsAndScaling,
  checkHealthchecks,
  checkDependencies,
  checkRestartAndCommands,
  checkEnvironment,
  checkVolumes,
];

function allProblems(doc: Compose): string[] {
  return RULES.flatMap((rule) => rule(doc));
}

/** Applies `edit` to a fresh copy of the real compose file and returns the problems found. */
function problemsAfter(edit: (doc: Compose) => void): string[] {
  const doc = loadCompose();
  edit(doc);
  return allProblems(doc);
}

function service(doc: Compose, name: string): Service {
  const found = doc.services[name];
  assert.ok(found, `service ${name} missing`);
  return found;
}

describe('docker-compose.yml', () => {
  test('satisfies every rule', () => {
    assert.deepEqual(allProblems(loadCompose()), []);
  });

  test('the app services get the shared config through the merge key', () => {
    const doc = loadCompose();
    for (const name of APP_SERVICES) {
      assert.match(String(service(doc, name).image), /^ml-connector:\$\{MLC_IMAGE_TAG:-\d+\.\d+\.\d+\}$/);
    }
  });

  test("the app's config loader accepts each app service's environment", () => {
    const doc = loadCompose();
    for (const name of APP_SERVICES) {
      // Required secrets get stand-ins, as compose would substitute them from .env.
      const vars = Object.fromEntries(
        Object.entries(env(service(doc, name))).map(([key, value]) => [
          key,
          interpolate(value).replace(
            /\$\{(\w+):\?[^}]*\}/g,
            (_m, v: string) => `stand-in-${v.toLowerCase()}`,
          ),
        ]),
      );
      // MLC_CONFIG must name a file inside the read-only config mount; the test reads the example
      // that deploy/config/README.md tells operators to start from.
      const mount = bindMounts(service(doc, name)).find((m) => vars.MLC_CONFIG?.startsWith(`${m.target}/`));
      assert.equal(
        mount?.source,
        './deploy/config',
        `${name}: MLC_CONFIG is not inside the deploy/config mount`,
      );
      vars.MLC_CONFIG = path.join(ROOT, 'examples', 'plex-fedex.yaml');
      const config = loadConfig({ env: vars, cwd: ROOT });
      assert.equal(config.temporal.address, 'temporal:7233', name);
      assert.equal(config.http.host, '0.0.0.0', name);
      assert.equal(config.http.port, 8080, name);
      assert.match(
        config.database.url ?? '',
        /^postgres:\/\/mlc:stand-in-postgres_password@postgresql:5432\/ml_connector$/,
      );
      assert.ok(config.http.codec.allowedOrigins.includes('http://localhost:8233'), name);
    }
  });

  test('the namespace setup registers every custom search attribute as Keyword', () => {
    const script = fs.readFileSync(path.join(ROOT, 'deploy', 'temporal', 'setup-namespace.sh'), 'utf8');
    const command = /operator search-attribute create((?:[^\n]*\\\n)*[^\n]*)/.exec(script)?.[1] ?? '';
    // The CLI pairs the i-th --name with the i-th --type and drops names without one.
    const pairs = [...command.matchAll(/--name (\w+) --type (\w+)/g)].map(
      ([, name, type]) => `${name}:${type}`,
    );
    assert.equal([...command.matchAll(/--name /g)].length, pairs.length, 'a --name without its own --type');
    assert.deepEqual(pairs.sort(), SEARCH_ATTRIBUTES.map((name) => `${name}:Keyword`).sort());
  });

  test('the schema setup covers both Temporal databases with the embedded schemas', () => {
    const script = fs.readFileSync(path.join(ROOT, 'deploy', 'temporal', 'setup-schema.sh'), 'utf8');
    assert.match(script, /setup "\$\{TEMPORAL_DB:-temporal\}" postgresql\/v12\/temporal\b/);
    assert.match(
      script,
      /setup "\$\{TEMPORAL_VISIBILITY_DB:-temporal_visibility\}" postgresql\/v12\/visibility\b/,
    );
    assert.match(script, /create-database[\s\S]*setup-schema -v 0\.0[\s\S]*update-schema --schema-name/);
    assert.doesNotMatch(script, /--quiet|\s-q\s/, '--quiet makes temporal-sql-tool exit 0 on errors');
  });

  test('no secret value is written in the file', () => {
    const text = fs.readFileSync(COMPOSE_FILE, 'utf8');
    // A 32-byte base64 key, or a password assigned literally.
    assert.doesNotMatch(text, /[A-Za-z0-9+/]{43}=/);
    assert.doesNotMatch(text, /^\s*\w*(PASSWORD|PWD|MASTER_KEY):\s*['"]?(?!\$\{)\S/m);
  });

  // The rules must notice a broken file; each edit below breaks one property of a copy.
  const breakages: [string, (doc: Compose) => void, RegExp][] = [
    ['a removed healthcheck', (d) => delete service(d, 'worker').healthcheck, /worker: no healthcheck/],
    [
      'a curl healthcheck',
      (d) =>
        (service(d, 'http').healthcheck = { test: ['CMD', 'curl', '-f', 'http://127.0.0.1:8080/healthz'] }),
      /http: healthcheck is not node fetch/,
    ],
    [
      'a latest tag',
      (d) => (service(d, 'temporal-ui').image = 'temporalio/ui:latest'),
      /temporal-ui: image .* is not pinned/,
    ],
    [
      'a major-only tag',
      (d) => (service(d, 'postgresql').image = 'postgres:15'),
      /postgresql: image postgres:15 is not pinned/,
    ],
    [
      'a server on another version',
      (d) => (service(d, 'temporal').image = 'temporalio/server:1.30.0'),
      /temporal: image must be/,
    ],
    [
      'the server not waiting for the schema',
      (d) => delete service(d, 'temporal').depends_on,
      /temporal -> temporal-schema: missing/,
    ],
    [
      'a worker started before migrations end',
      (d) => (service(d, 'worker').depends_on = { migrate: { condition: 'service_started' } }),
      /worker -> migrate: service_started/,
    ],
    [
      'a literal master key',
      (d) => ((service(d, 'http').environment as Record<string, string>).MLC_MASTER_KEY = 'c2VjcmV0'),
      /http: MLC_MASTER_KEY is not a required/,
    ],
    [
      'a defaulted password',
      (d) =>
        ((service(d, 'temporal').environment as Record<string, string>).POSTGRES_PWD =
          '${POSTGRES_PASSWORD:-temporal}'),
      /temporal: POSTGRES_PWD is not a required/,
    ],
    [
      'a fixed worker container name',
      (d) => (service(d, 'worker').container_name = 'worker'),
      /worker: fixed container_name/,
    ],
    [
      'a worker host port',
      (d) => (service(d, 'worker').ports = ['8081:8080']),
      /worker: publishes a host port/,
    ],
    [
      'a public UI port',
      (d) => (service(d, 'temporal-ui').ports = ['8233:8080']),
      /temporal-ui: port 8233 is not bound/,
    ],
    [
      'a looping one-shot',
      (d) => (service(d, 'migrate').restart = 'unless-stopped'),
      /migrate: restart unless-stopped loops/,
    ],
    [
      'a missing dynamic config mount',
      (d) => (service(d, 'temporal').volumes = []),
      /temporal: .* is not a file mounted/,
    ],
    [
      'an anonymous postgres volume',
      (d) => (service(d, 'postgresql').volumes = ['/var/lib/postgresql/data']),
      /postgresql: data is not on a declared named volume/,
    ],
    ['a missing service', (d) => delete d.services['temporal-setup'], /services are/],
    [
      'a codec that refuses the Web UI',
      (d) =>
        delete (service(d, 'http').environment as Record<string, string>).MLC_HTTP__CODEC__ALLOWED_ORIGINS,
      /http: the Web UI origin is not in/,
    ],
  ];
  for (const [what, edit, expected] of breakages) {
    test(`notices ${what}`, () => {
      const problems = problemsAfter(edit);
      assert.ok(
        problems.some((p) => expected.test(p)),
        `expected a problem matching ${expected}, got ${JSON.stringify(problems)}`,
      );
    });
  }
});

const CLOUD_OVERRIDE = path.join(ROOT, 'deploy', 'temporal-cloud.compose.yml');

/**
 * `docker compose -f docker-compose.yml -f <override>` as far as these files need it: environment
 * maps merge by key, other keys replace, and a `depends_on` merges unless tagged `!override`.
 */
function withOverride(base: Compose, overrideText: string): Compose {
  const overrideTag = { tag: '!override', collection: 'map', nodeClass: YAMLMap, identify: () => false };
  const doc = parseDocument(overrideText, { merge: true, customTags: [overrideTag] as never });
  assert.deepEqual(doc.errors, []);
  const override = doc.toJS() as Compose;
  for (const [name, changes] of Object.entries(override.services)) {
    const target = base.services[name];
    assert.ok(target, `the override names an unknown service ${name}`);
    for (const [key, value] of Object.entries(changes)) {
      const replaced =
        (doc.getIn(['services', name, key], true) as { tag?: string } | undefined)?.tag === '!override';
      if (key === 'environment' || (key === 'depends_on' && !replaced)) {
        target[key] = { ...(target[key] as object), ...(value as object) };
      } else {
        target[key] = value;
      }
    }
  }
  return base;
}

/** Every service that `up` of `roots` starts, following depends_on. */
function startedWith(doc: Compose, roots: string[]): Set<string> {
  const seen = new Set<string>();
  const visit = (name: string) => {
    if (seen.has(name)) return;
    seen.add(name);
    Object.keys(dependsOn(doc.services[name] ?? {})).forEach(visit);
  };
  roots.forEach(visit);
  return seen;
}

describe('deploy/temporal-cloud.compose.yml', () => {
  const text = fs.readFileSync(CLOUD_OVERRIDE, 'utf8');

  test('points the app at an external cluster and starts no local Temporal service', () => {
    const doc = withOverride(loadCompose(), text);
    const started = [...startedWith(doc, APP_SERVICES)].sort();
    assert.deepEqual(started, ['http', 'migrate', 'postgresql', 'worker']);
    for (const name of APP_SERVICES) {
      const vars = env(service(doc, name));
      for (const key of ['TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE', 'TEMPORAL_API_KEY']) {
        assert.match(vars[key] ?? '', /^\$\{\w+:\?[^}]*\}$/, `${name}: ${key} must be a required reference`);
      }
      assert.ok(vars.DATABASE_URL, `${name}: lost DATABASE_URL in the merge`);
    }
    // The merged file still satisfies the secret rule.
    assert.deepEqual(
      checkEnvironment(doc).filter((p) => /is not a required/.test(p)),
      [],
    );
  });

  test('without !override the workers would still wait for the local Temporal setup', () => {
    const doc = withOverride(loadCompose(), text.replace(/ !override/g, ''));
    assert.ok(startedWith(doc, ['worker']).has('temporal-setup'));
  });
});

type Instruction = { keyword: string; args: string };

/** Dockerfile → instructions, with comments dropped and `\` continuations joined. */
function parseDockerfile(text: string): Instruction[] {
  const joined = text
    .split('\n')
    .filter((line) => !/^\s*#/.test(line))
    .join('\n')
    .replace(/\\\n/g, ' ');
  return joined
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const space = line.indexOf(' ');
      return { keyword: line.slice(0, space).toUpperCase(), args: line.slice(space + 1).trim() };
    });
}

function checkDockerfile(instructions: Instruction[]): string[] {
  const problems: string[] = [];
  const args = new Map<string, string>();
  for (const { keyword, args: value } of instructions) {
    if (keyword === 'FROM') break;
    const match = keyword === 'ARG' ? /^(\w+)=(\S+)$/.exec(value) : null;
    if (match?.[1] && match[2]) args.set(match[1], match[2]);
  }
  const froms = instructions
    .filter((i) => i.keyword === 'FROM')
    .map((i) => i.args.replace(/\$\{(\w+)\}/g, (_m, name: string) => args.get(name) ?? ''));
  if (froms.length === 0) problems.push('no FROM');
  for (const from of froms) {
    if (!/^node:20(\.\d+){0,2}-bookworm-slim(\s|$)/.test(from))
      problems.push(`base image ${from} is not node 20 bookworm-slim`);
  }
  const lastFrom = instructions.map((i) => i.keyword).lastIndexOf('FROM');
  const runtime = instructions.slice(lastFrom + 1);
  const build = instructions.slice(0, lastFrom);
  const runs = instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args);
  if (!runs.some((r) => /\bnpm ci\b/.test(r))) problems.push('no npm ci');
  if (!runs.some((r) => /\bnpm run build\b/.test(r))) problems.push('no npm run build');
  const ci = runs.findIndex((r) => /\bnpm ci\b/.test(r));
  const buildStep = runs.findIndex((r) => /\bnpm run build\b/.test(r));
  if (ci > buildStep) problems.push('npm run build runs before npm ci');
  if (
    build.length > 0 &&
    !runtime.some((i) => i.keyword === 'COPY' && /--from=build\b.*\bdist\b/.test(i.args))
  ) {
    problems.push('the runtime stage does not copy dist/ from the build stage');
  }
  const users = runtime.filter((i) => i.keyword === 'USER').map((i) => i.args);
  const user = users[users.length - 1];
  if (!user || /^(root|0)(:|$)/.test(user)) problems.push('the runtime stage runs as root');
  if (!runtime.some((i) => i.keyword === 'ENV' && /\bNODE_ENV=production\b/.test(i.args))) {
    problems.push('NODE_ENV=production not set in the runtime stage');
  }
  const entrypoint = runtime.find((i) => i.keyword === 'ENTRYPOINT')?.args;
  let parsed: unknown;
  try {
    parsed = entrypoint ? JSON.parse(entrypoint) : undefined;
  } catch {
    parsed = undefined;
  }
  if (JSON.stringify(parsed) !== JSON.stringify(['node', 'bin/ml-connector.js'])) {
    problems.push(`entrypoint ${entrypoint} is not ["node", "bin/ml-connector.js"] in exec form`);
  }
  if (!runtime.some((i) => i.keyword === 'EXPOSE' && /\b8080\b/.test(i.args)))
    problems.push('8080 not exposed');
  return problems;
}

describe('Dockerfile', () => {
  const source = fs.readFileSync(DOCKERFILE, 'utf8');

  test('has the essential build and runtime steps', () => {
    assert.deepEqual(checkDockerfile(parseDockerfile(source)), []);
  });

  const breakages: [string, (text: string) => string, RegExp][] = [
    ['a root runtime user', (t) => t.replace(/^USER node$/m, 'USER root'), /runs as root/],
    ['no USER at all', (t) => t.replace(/^USER node$/m, ''), /runs as root/],
    ['a missing build step', (t) => t.replace(/npm run build/, 'true'), /no npm run build/],
    ['npm install instead of npm ci', (t) => t.replace(/npm ci/, 'npm install'), /no npm ci/],
    [
      'another Node major',
      (t) => t.replace(/node:20[\w.-]*/, 'node:22-bookworm-slim'),
      /is not node 20 bookworm-slim/,
    ],
    [
      'a shell-form entrypoint',
      (t) => t.replace(/^ENTRYPOINT .*$/m, 'ENTRYPOINT node bin/ml-connector.js'),
      /exec form/,
    ],
    ['no NODE_ENV', (t) => t.replace(/^ENV NODE_ENV=production$/m, ''), /NODE_ENV=production not set/],
  ];
  for (const [what, edit, expected] of breakages) {
    test(`notices ${what}`, () => {
      const edited = edit(source);
      assert.notEqual(edited, source, 'the edit did not apply');
      const problems = checkDockerfile(parseDockerfile(edited));
      assert.ok(
        problems.some((p) => expected.test(p)),
        `expected ${expected}, got ${JSON.stringify(problems)}`,
      );
    });
  }

  test('.dockerignore keeps secrets, dependencies and local state out of the build context', () => {
    const ignored = fs
      .readFileSync(path.join(ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .map((line) => line.trim());
    for (const entry of ['.env', 'node_modules', '.git', '.tools', '.data', 'dist']) {
      assert.ok(ignored.includes(entry), `${entry} is not in .dockerignore`);
    }
  });
});

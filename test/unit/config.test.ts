import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { ConfigError, durationToMs, envName, envSegment, isDuration } from '../../lib/config';
import { loadConfig, type Config } from '../../clients/config';

const REPO = path.resolve(__dirname, '..', '..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlc-config-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

let fileCount = 0;
/** Write a config file into the temp dir and return its name (relative to `tmp`). */
function file(text: string, ext = 'yaml'): string {
  const name = `c${++fileCount}.${ext}`;
  fs.writeFileSync(path.join(tmp, name), text);
  return name;
}

function load(opts: { text?: string; ext?: string; env?: NodeJS.ProcessEnv } = {}): Config {
  return loadConfig({
    cwd: tmp,
    env: opts.env ?? {},
    file: opts.text === undefined ? undefined : file(opts.text, opts.ext),
  });
}

/** Asserts loading fails with a one-line ConfigError matching every pattern; returns the message. */
function fails(opts: Parameters<typeof load>[0], ...patterns: RegExp[]): string {
  let message = '';
  assert.throws(
    () => load(opts),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
      message = err.message;
      return true;
    },
  );
  assert.ok(!message.includes('\n'), `message must be one line: ${message}`);
  assert.match(message, /^config error: /);
  for (const p of patterns) assert.match(message, p);
  return message;
}

const FEDEX = `
connections:
  fx:
    system: fedex
    settings: { accountNumber: "123456789" }
`;

describe('defaults', () => {
  it('describe the Plex -> FedEx demo, simulated until credentials exist', () => {
    const c = load();
    assert.deepEqual(Object.keys(c.connections).sort(), ['fedex-demo', 'plex-demo']);
    assert.equal(c.connections['plex-demo']?.system, 'plex');
    assert.equal(c.connections['fedex-demo']?.system, 'fedex');
    assert.equal(c.connections['fedex-demo']?.simulator, 'auto');
    assert.deepEqual(
      c.mappings.map((m) => [m.erp, m.carrier]),
      [['plex-demo', 'fedex-demo']],
    );
    assert.equal(c.http.host, '127.0.0.1');
    assert.equal(c.http.port, 8080);
    assert.equal(c.log.level, 'info');
    assert.equal(c.temporal.namespace, 'default');
    assert.equal(c.temporal.taskQueue, 'ml-connector');
    assert.equal(c.temporal.address, undefined);
    assert.equal(c.database.url, undefined);
    // The demo polls and tracks at demo pace; a config file without schedules gets 5m / 15m.
    assert.equal(c.schedules.erpPoll.every, '5s');
    assert.equal(c.schedules.trackingSweep.every, '10s');
    const plain = load({ text: 'log: { level: info }\n' });
    assert.equal(plain.schedules.erpPoll.every, '5m');
    assert.equal(plain.schedules.trackingSweep.every, '15m');
    assert.deepEqual(c.limits.fedex, {
      transactionsPer10s: 1400,
      tokenRequestsPerMinute: 12,
      lockoutMinutes: 10,
    });
    assert.deepEqual(c.limits.plex, { callsPerMinute: 200 });
    assert.deepEqual(c.limits.shipstation, { v1PerMinute: 40, v2PerMinute: 200 });
  });

  it('resolve local paths under dataDir against cwd', () => {
    const c = load();
    assert.equal(c.dataDir, path.join(tmp, '.data'));
    assert.equal(c.vault.keyFile, path.join(tmp, '.data', 'master.key'));
    assert.equal(c.temporal.devServer.dbFile, path.join(tmp, '.data', 'temporal.db'));
    const moved = load({ env: { MLC_DATA_DIR: '/var/lib/mlc' } });
    assert.equal(moved.vault.keyFile, '/var/lib/mlc/master.key');
  });

  it('equal examples/plex-fedex.yaml', () => {
    const example = loadConfig({ cwd: tmp, env: {}, file: path.join(REPO, 'examples', 'plex-fedex.yaml') });
    assert.deepEqual(example, load());
  });
});

describe('files', () => {
  it('reads YAML and JSON, with schema defaults but without the demo connections', () => {
    const y = load({ text: 'http:\n  port: 9000\nlog:\n  level: debug\n' });
    assert.equal(y.http.port, 9000);
    assert.equal(y.log.level, 'debug');
    assert.deepEqual(y.connections, {});
    assert.deepEqual(y.mappings, []);
    const j = load({
      text: JSON.stringify({ http: { host: '0.0.0.0' }, ...{ connections: {} } }),
      ext: 'json',
    });
    assert.equal(j.http.host, '0.0.0.0');
    assert.equal(j.http.port, 8080);
  });

  it('fills per-system settings defaults', () => {
    const c = load({ text: FEDEX });
    const fx = c.connections.fx;
    assert.ok(fx?.system === 'fedex');
    assert.equal(fx.settings.pickupType, 'DROPOFF_AT_FEDEX_LOCATION');
    assert.equal(fx.settings.labelImageType, 'PDF');
    assert.deepEqual(fx.credentials, {});
  });

  it('takes the file from MLC_CONFIG when no file is given', () => {
    const name = file('http:\n  port: 7777\n');
    assert.equal(loadConfig({ cwd: tmp, env: { MLC_CONFIG: name } }).http.port, 7777);
  });

  it('reports unreadable, unparsable and oddly named files in one line', () => {
    assert.throws(
      () => loadConfig({ cwd: tmp, env: {}, file: 'missing.yaml' }),
      /cannot read config file .*ENOENT/,
    );
    fails({ text: 'a: [1\nb: 2\n' }, /is not valid YAML/, /fix the syntax/);
    fails({ text: '{"http": ', ext: 'json' }, /is not valid JSON/);
    fails({ text: '- 1\n- 2\n' }, /must hold a mapping/);
    assert.throws(() => load({ text: 'x', ext: 'toml' }), /unknown extension/);
  });
});

describe('environment overrides', () => {
  it('follow MLC_ + path joined by __, camelCase split by _, dashes as _', () => {
    assert.equal(envSegment('transactionsPer10s'), 'TRANSACTIONS_PER10S');
    assert.equal(envSegment('v1PerMinute'), 'V1_PER_MINUTE');
    assert.equal(envSegment('fedex-demo'), 'FEDEX_DEMO');
    assert.equal(envName(['connections', 'fedex-demo', 'baseUrl']), 'MLC_CONNECTIONS__FEDEX_DEMO__BASE_URL');
  });

  it('override scalars, nested keys, dashed record keys and array items', () => {
    const c = load({
      env: {
        MLC_HTTP__PORT: '9090',
        MLC_CONNECTIONS__FEDEX_DEMO__BASE_URL: 'https://apis.fedex.com',
        MLC_LIMITS__FEDEX__TRANSACTIONS_PER10S: '100',
        MLC_LIMITS__SHIPSTATION__V1_PER_MINUTE: '20',
        MLC_TEMPORAL__TLS__SERVER_NAME: 'ns.acct.tmprl.cloud',
        MLC_TEMPORAL__DEV_SERVER__UI_PORT: '8299',
        MLC_MAPPINGS__0__DEFAULT_SERVICE: 'FEDEX_2_DAY',
        MLC_MAPPINGS__0__SERVICE_LEVELS: '{"X":"FEDEX_GROUND"}',
      },
    });
    assert.equal(c.http.port, 9090);
    assert.equal(c.connections['fedex-demo']?.baseUrl, 'https://apis.fedex.com');
    assert.equal(c.limits.fedex!.transactionsPer10s, 100);
    assert.equal(c.limits.shipstation!.v1PerMinute, 20);
    assert.equal(c.temporal.tls?.serverName, 'ns.acct.tmprl.cloud');
    assert.equal(c.temporal.devServer.uiPort, 8299);
    assert.equal(c.mappings[0]?.defaultService, 'FEDEX_2_DAY');
    assert.deepEqual(c.mappings[0]?.serviceLevels, { X: 'FEDEX_GROUND' });
  });

  it('keep digit-only values as text where the key takes a string', () => {
    const c = load({ env: { MLC_CONNECTIONS__FEDEX_DEMO__SETTINGS__ACCOUNT_NUMBER: '987654321' } });
    const fx = c.connections['fedex-demo'];
    assert.ok(fx?.system === 'fedex');
    assert.equal(fx.settings.accountNumber, '987654321');
  });

  it('honour the conventional aliases, MLC_ winning over them', () => {
    const c = load({
      env: {
        DATABASE_URL: 'postgres://u@db:5432/mlc',
        TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233',
        TEMPORAL_NAMESPACE: 'ns.acct',
        TEMPORAL_API_KEY: 'the-key-itself',
        LOG_LEVEL: 'warn',
        MLC_LOG__LEVEL: 'debug',
      },
    });
    assert.equal(c.database.url, 'postgres://u@db:5432/mlc');
    assert.equal(c.temporal.address, 'ns.acct.tmprl.cloud:7233');
    assert.equal(c.temporal.namespace, 'ns.acct');
    assert.equal(c.temporal.apiKey, 'env:TEMPORAL_API_KEY', 'the config holds a reference, never the key');
    assert.equal(c.log.level, 'debug');
  });

  it('ignore the reserved MLC_ variables', () => {
    assert.doesNotThrow(() => load({ env: { MLC_MASTER_KEY: 'x', MLC_MASTER_KEY_PREVIOUS: 'y' } }));
  });

  it('reject a variable that matches no key, naming it', () => {
    fails(
      { env: { MLC_HTTP__PROT: '1' } },
      /MLC_HTTP__PROT matches no config key/,
      /did you mean "MLC_HTTP__PORT"\?/,
    );
    fails({ env: { MLC_CONECTIONS__X: '1' } }, /MLC_CONECTIONS__X/, /at top level/, /MLC_CONNECTIONS/);
    fails(
      { env: { MLC_CONNECTIONS__UPS_DEMO__BASE_URL: 'https://x' } },
      /MLC_CONNECTIONS__UPS_DEMO__BASE_URL/,
      /"UPS_DEMO" at connections/,
    );
  });

  it('name the variable when its value is invalid', () => {
    fails(
      { env: { MLC_HTTP__PORT: 'abc' } },
      /^config error: http\.port \(from MLC_HTTP__PORT\): "abc" is not a TCP port/,
    );
    fails({ env: { MLC_HTTP: '{"prot": 1}' } }, /unknown key "prot" in http \(from MLC_HTTP\)/);
  });
});

describe('errors are one line naming the key and the fix', () => {
  it('unknown keys at top level, nested and inside a connection', () => {
    fails(
      { text: 'conections: {}\n' },
      /unknown key "conections" at top level \(did you mean "connections"\?\)$/,
    );
    fails({ text: 'http:\n  prot: 1\n' }, /unknown key "prot" in http \(did you mean "port"\?\)/);
    fails(
      { text: FEDEX + '    baseURL: https://x\n' },
      /unknown key "baseURL" in connections\.fx \(did you mean "baseUrl"\?\)/,
    );
    fails(
      { text: FEDEX + '    credentials: { clientSecrt: "vault:a" }\n' },
      /in connections\.fx\.credentials \(did you mean "clientSecret"\?\)/,
    );
    fails(
      { text: 'limits:\n  fedex:\n    perSecond: 3\n' },
      /unknown key "perSecond" in limits\.fedex \(remove it; allowed: /,
    );
  });

  it('reports an unknown key before the problems it causes', () => {
    fails({ text: 'htp:\n  port: 1\nhttp:\n  port: nope\n' }, /unknown key "htp"/);
  });

  it('bad URL', () => {
    const msg = fails(
      { text: FEDEX.replace('system: fedex', 'system: fedex\n    baseUrl: "ftp://x"') },
      /connections\.fx\.baseUrl: "ftp:\/\/x" is not an http\(s\) URL \(set it to e\.g\. https:\/\/apis-sandbox\.fedex\.com\)$/,
    );
    assert.ok(msg);
  });

  it('bad duration, enum, port and number', () => {
    fails(
      { text: 'schedules:\n  erpPoll:\n    every: 5 min\n' },
      /schedules\.erpPoll\.every: "5 min" is not a duration \(.*e\.g\. 5m\)/,
    );
    fails(
      { text: 'log:\n  level: warning\n' },
      /log\.level: "warning" is not one of trace, debug, info, warn, error, fatal \(did you mean "warn"\?\)/,
    );
    fails(
      { text: 'http:\n  port: 70000\n' },
      /http\.port: 70000 is not a TCP port \(use an integer from 0 to 65535/,
    );
    fails({ text: 'http:\n  port: 80.5\n' }, /http\.port: 80\.5 is not a TCP port/);
    fails(
      { text: 'limits:\n  plex:\n    callsPerMinute: 0\n' },
      /limits\.plex\.callsPerMinute: 0 must be a positive integer/,
    );
    fails(
      { text: 'temporal:\n  address: "http://x:7233"\n' },
      /temporal\.address: "http:\/\/x:7233" is not host:port/,
    );
  });

  it('unknown system, bad connection name, missing required setting', () => {
    fails(
      { text: 'connections:\n  f:\n    system: fedx\n' },
      /connections\.f\.system: "fedx" is not one of .* \(did you mean "fedex"\?\)/,
    );
    fails(
      { text: FEDEX.replace('fx:', 'Fedex_1:') },
      /connections: key "Fedex_1" is not a valid connection name \(use lower-case/,
    );
    fails(
      { text: 'connections:\n  f:\n    system: fedex\n' },
      /connections\.f\.settings: is required \(add a "settings" section\)/,
    );
    fails({ text: FEDEX.replace('"123456789"', '12345') }, /accountNumber: 12345 is not a string/);
  });

  it('refuses a literal secret without echoing it', () => {
    const msg = fails(
      { text: FEDEX + '    credentials:\n      clientSecret: hunter2-very-secret\n' },
      /connections\.fx\.credentials\.clientSecret: a literal secret is not allowed/,
      /ml-connector secrets set fx\.clientSecret/,
      /"vault:fx\.clientSecret"/,
      /"env:<VAR>"/,
    );
    assert.doesNotMatch(msg, /hunter2/);
    const viaEnv = fails(
      { env: { MLC_CONNECTIONS__FEDEX_DEMO__CREDENTIALS__CLIENT_SECRET: 'hunter2-very-secret' } },
      /clientSecret \(from MLC_CONNECTIONS__FEDEX_DEMO__CREDENTIALS__CLIENT_SECRET\): a literal secret/,
    );
    assert.doesNotMatch(viaEnv, /hunter2/);
    fails(
      { env: { TEMPORAL_ADDRESS: 'x:1', MLC_TEMPORAL__API_KEY: 'sk-live' } },
      /temporal\.apiKey .*literal secret/,
    );
  });

  it('never echoes a database URL (it may hold a password)', () => {
    const msg = fails(
      { env: { DATABASE_URL: 'mysql://u:pa55word@h/db' } },
      /database\.url \(from DATABASE_URL\): is not a PostgreSQL URL/,
    );
    assert.doesNotMatch(msg, /pa55word/);
  });

  it('accepts vault: and env: references and rejects malformed ones', () => {
    const c = load({
      text: FEDEX + '    credentials: { clientId: "env:FEDEX_ID", clientSecret: "vault:fx/secret.v2" }\n',
    });
    assert.deepEqual(c.connections.fx?.credentials, {
      clientId: 'env:FEDEX_ID',
      clientSecret: 'vault:fx/secret.v2',
    });
    fails(
      { text: FEDEX + '    credentials: { clientId: "env:1BAD" }\n' },
      /clientId: is not a valid env reference/,
    );
  });
});

describe('cross-checks', () => {
  const two = `
connections:
  erp:
    system: plex
  fx:
    system: fedex
    settings: { accountNumber: "123456789" }
`;
  const from =
    'shipFrom: { lines: ["1 Main St"], city: Memphis, stateOrProvince: TN, postalCode: "38118", countryCode: US, phone: "9015550100" }';
  it('accept a mapping from an ERP to a carrier', () => {
    const c = load({
      text:
        two +
        `mappings:\n  - { erp: erp, carrier: fx, defaultService: FEDEX_GROUND, serviceLevels: { G: FEDEX_GROUND }, ${from} }\n`,
    });
    assert.equal(c.mappings[0]?.serviceLevels.G, 'FEDEX_GROUND');
  });

  it('reject a mapping naming a missing connection', () => {
    fails(
      { text: two + `mappings:\n  - { erp: erpp, carrier: fx, defaultService: X, ${from} }\n` },
      /mappings\.0\.erp: "erpp" names no connection \(did you mean "erp"\?\)/,
    );
  });

  it('reject a mapping without a ship-from address, naming the key', () => {
    fails(
      { text: two + 'mappings:\n  - { erp: erp, carrier: fx, defaultService: X }\n' },
      /mappings\.0\.shipFrom/,
    );
  });

  it('reject a mapping with the roles swapped', () => {
    fails(
      { text: two + `mappings:\n  - { erp: fx, carrier: erp, defaultService: X, ${from} }\n` },
      /mappings\.0\.erp: "fx" is a fedex connection, not an ERP/,
    );
  });

  it('require credentials and a URL when the simulator is never used', () => {
    fails(
      {
        text: 'connections:\n  i: { system: ifs, simulator: never, credentials: { clientId: "env:A", clientSecret: "env:B" } }\n',
      },
      /connections\.i\.baseUrl: is required for ifs when simulator is "never"/,
    );
    fails(
      { text: FEDEX + '    simulator: never\n' },
      /connections\.fx\.credentials\.clientId: is required when simulator is "never" \(add clientId: vault:fx\.clientId\)/,
    );
    const ok = load({
      text: FEDEX + '    simulator: never\n    credentials: { clientId: "env:A", clientSecret: "env:B" }\n',
    });
    assert.equal(ok.connections.fx?.simulator, 'never');
  });

  it('require certFile and keyFile together', () => {
    fails(
      { text: 'temporal:\n  tls:\n    certFile: c.pem\n' },
      /temporal\.tls\.keyFile: is required with the other one/,
    );
    const c = load({ text: 'temporal:\n  tls:\n    certFile: c.pem\n    keyFile: k.pem\n' });
    assert.equal(c.temporal.tls?.certFile, path.join(tmp, 'c.pem'));
  });

  it('lists every problem on the error, the first in the message', () => {
    try {
      load({ text: 'http:\n  port: -1\nlog:\n  level: loud\n' });
      assert.fail('expected a ConfigError');
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.problems.length, 2);
      assert.match(err.problems[1]!, /log\.level/);
    }
  });
});

describe('durationToMs', () => {
  it('converts ms, s, m, h and combinations', () => {
    assert.equal(durationToMs('250ms'), 250);
    assert.equal(durationToMs('30s'), 30_000);
    assert.equal(durationToMs('5m'), 300_000);
    assert.equal(durationToMs('2h'), 7_200_000);
    assert.equal(durationToMs('1h30m'), 5_400_000);
  });

  it('rejects anything else, including zero', () => {
    for (const bad of ['', '5', '5 m', '5min', '-5m', '1.5h', '0s', 'm5']) {
      assert.throws(() => durationToMs(bad), /duration/, bad);
      assert.equal(isDuration(bad), false, bad);
    }
  });
});

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PROJECT_ROOT } from '../../lib/paths';
import { freePort } from '../../lib/process';
import { startFedexSimulator } from '../../simulators/fedex';

// The CLI as a user runs it: a real process, the embedded defaults (its own Temporal dev server,
// PGlite, simulators), and what it prints.

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function baseEnv(): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    TEMPORAL_CLI_PATH: process.env.TEMPORAL_CLI_PATH,
    LOG_LEVEL: 'warn',
  };
}

function cli(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 240_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(PROJECT_ROOT, 'bin', 'ml-connector.js'), ...args], {
      cwd: PROJECT_ROOT,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        TEMPORAL_CLI_PATH: process.env.TEMPORAL_CLI_PATH,
        LOG_LEVEL: 'warn',
        ...env,
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(`ml-connector ${args.join(' ')} did not finish in ${timeoutMs} ms\n${stdout}\n${stderr}`),
      );
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('ml-connector CLI', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlc-cli-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('start --orders N --exit-when-done ships exactly what it seeded; a second run on the same data folder ships its own orders', async () => {
    const demo = (orders: number) =>
      cli(['start', '--orders', String(orders), '--exit-when-done', '--timeout', '200'], {
        MLC_DATA_DIR: path.join(dir, 'demo'),
        MLC_HTTP__PORT: '0',
      });
    const outcome = (r: Run, orders: number) => {
      assert.equal(r.code, 0, `exit code 0\n${r.stdout}\n${r.stderr.slice(-2000)}`);
      const seeded =
        /^seeded (\d+) demo orders into plex-demo \(order numbers (\d+)-(\d+); (?:none with a data problem|(\d+) with a data problem a person must fix: .*)\)$/m.exec(
          r.stdout,
        );
      assert.ok(seeded, `the run says what it seeded:\n${r.stdout}`);
      assert.equal(Number(seeded[1]), orders);
      const invalid = Number(seeded[4] ?? 0);
      const summary = r.stdout.trim().split('\n').at(-1) ?? '';
      assert.equal(
        summary.replace(/elapsed_s=\d+$/, 'elapsed_s=?'),
        `summary: delivered=${orders - invalid}/${orders} needs_attention=${invalid} in_progress=0 cancelled=0 failed=0 elapsed_s=?`,
        'every valid seeded order is delivered and every invalid one parked, nothing else counted',
      );
      return { first: Number(seeded[2]), last: Number(seeded[3]) };
    };

    const first = await demo(6);
    assert.match(first.stdout, /Temporal Web UI: +http:\/\/127\.0\.0\.1:\d+/);
    const one = outcome(first, 6);
    // The same data folder: its database holds the first run's six delivered orders.
    const two = outcome(await demo(4), 4);
    assert.ok(
      two.first > one.last,
      `the second run's orders are new (${one.first}-${one.last}, then ${two.first}-${two.last})`,
    );
  });

  it('with FEDEX_* set, the demo sends its FedEx calls to that URL and starts no FedEx simulator', async () => {
    // Stands in for the FedEx sandbox: a separate server the app knows only by URL and credentials.
    const sandbox = await startFedexSimulator({
      clients: [{ clientId: 'sandbox-id', clientSecret: 'sandbox-secret', accounts: ['510087020'] }],
      clockSpeed: 7200,
    });
    try {
      const r = await cli(['start', '--orders', '3', '--exit-when-done', '--timeout', '200'], {
        MLC_DATA_DIR: path.join(dir, 'sandbox'),
        MLC_HTTP__PORT: '0',
        FEDEX_BASE_URL: sandbox.url,
        FEDEX_CLIENT_ID: 'sandbox-id',
        FEDEX_CLIENT_SECRET: 'sandbox-secret',
        FEDEX_ACCOUNT_NUMBER: '510087020',
      });
      assert.equal(r.code, 0, `exit code 0\n${r.stdout}\n${r.stderr.slice(-2000)}`);
      assert.match(
        r.stdout,
        new RegExp(`fedex-demo +fedex ${sandbox.url.replace(/[.]/g, '\\.')}`),
        'the banner names the sandbox URL',
      );
      assert.doesNotMatch(r.stdout, /fedex-demo +fedex simulator/);
      const shipped = sandbox.shipments().filter((s) => s.accountNumber === '510087020');
      assert.ok(shipped.length >= 2, `the sandbox received the shipments (${shipped.length})`);
      assert.ok(!(r.stdout + r.stderr).includes('sandbox-secret'), 'the secret never reaches the output');
    } finally {
      await sandbox.stop();
    }
  });

  it('operates a running app: schedules pause/resume/trigger/backfill, orders list, connections test, Ctrl-C', async () => {
    const port = await freePort();
    const env = {
      ...baseEnv(),
      MLC_DATA_DIR: path.join(dir, 'ops'),
      MLC_HTTP__PORT: String(port),
      LOG_LEVEL: 'warn',
    };
    const app = spawn(
      process.execPath,
      [path.join(PROJECT_ROOT, 'bin', 'ml-connector.js'), 'start', '--orders', '2'],
      {
        cwd: PROJECT_ROOT,
        env,
      },
    );
    let out = '';
    app.stdout.on('data', (d: Buffer) => (out += d.toString()));
    app.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => app.on('exit', (code) => resolve(code)));
    try {
      const deadline = Date.now() + 120_000;
      while (!out.includes('Stop with Ctrl-C.')) {
        if (Date.now() > deadline) throw new Error(`the app did not start:\n${out}`);
        await new Promise((r) => setTimeout(r, 250));
      }
      const ops = (...args: string[]) => cli(args, { MLC_HTTP__PORT: String(port) }, 60_000);

      let r = await ops('schedules', 'list');
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /^erp-poll\/plex-demo +every 5s +active/m);
      assert.match(r.stdout, /^tracking-sweep\/fedex-demo +every 10s +active/m);

      assert.equal((await ops('schedules', 'pause', 'erp-poll/plex-demo')).code, 0);
      assert.match((await ops('schedules', 'list')).stdout, /^erp-poll\/plex-demo +every 5s +PAUSED/m);
      assert.equal((await ops('schedules', 'resume', 'erp-poll/plex-demo')).code, 0);
      assert.match((await ops('schedules', 'list')).stdout, /^erp-poll\/plex-demo +every 5s +active/m);
      assert.equal((await ops('schedules', 'trigger', 'erp-poll/plex-demo')).code, 0);
      const end = new Date().toISOString();
      const start = new Date(Date.now() - 30_000).toISOString();
      r = await ops('schedules', 'backfill', 'erp-poll/plex-demo', '--start', start, '--end', end);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      r = await ops('schedules', 'pause', 'no-such-schedule');
      assert.equal(r.code, 1);
      assert.match(r.stdout, /no schedule no-such-schedule/);

      // Once an order has its label, an operator can print it.
      let shipped: string | undefined;
      for (let i = 0; i < 240 && !shipped; i++) {
        const api = (await (await fetch(`http://127.0.0.1:${port}/api/orders`)).json()) as {
          orders: Array<{ connection: string; order_key: string; tracking_number: string | null }>;
        };
        const o = api.orders.find((x) => x.tracking_number);
        if (o) shipped = `${o.connection}/${o.order_key}`;
        else await new Promise((res) => setTimeout(res, 500));
      }
      assert.ok(shipped, `an order got a tracking number:\n${out.slice(-4000)}`);
      r = await ops('orders', 'list');
      assert.equal(r.code, 0);
      assert.match(r.stdout, /^counts: /m);
      const labelBase = path.join(dir, 'label');
      r = await ops('orders', 'label', shipped, '--out', labelBase);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /^wrote .*label\.pdf \(\d+ bytes\)$/m);
      assert.equal(fs.readFileSync(`${labelBase}.pdf`).subarray(0, 5).toString(), '%PDF-');

      for (const name of ['fedex-demo', 'plex-demo']) {
        r = await ops('connections', 'test', name);
        assert.equal(r.code, 0, r.stdout + r.stderr);
        assert.match(r.stdout, new RegExp(`^ok +${name}: ok`));
      }
    } finally {
      app.kill('SIGINT');
    }
    assert.equal(await exited, 0, out);
    assert.match(out, /^summary: delivered=\d+\/\d+ /m);
  });

  it('explains an unknown config key in one line, without a stack trace', async () => {
    const file = path.join(dir, 'bad.yaml');
    fs.writeFileSync(file, 'conections: {}\n');
    const r = await cli(['doctor', '--config', file], {});
    assert.equal(r.code, 2);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, `one line: ${r.stderr}`);
    assert.match(
      lines[0]!,
      /^config error: unknown key "conections" at top level \(did you mean "connections"\?\)$/,
    );
  });

  it('explains a bad value from the environment in one line naming the variable', async () => {
    const r = await cli(['doctor'], { MLC_HTTP__PORT: 'eighty' });
    assert.equal(r.code, 2);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.match(r.stderr, /http\.port \(from MLC_HTTP__PORT\): "eighty" is not a TCP port/);
  });

  it("doctor runs each real connection's own test and names the reason", async () => {
    const fedex = await startFedexSimulator({
      clients: [{ clientId: 'doc-id', clientSecret: 'doc-secret', accounts: ['510087020'] }],
    });
    try {
      const file = path.join(dir, 'doctor.yaml');
      fs.writeFileSync(
        file,
        [
          'connections:',
          '  fx:',
          '    system: fedex',
          `    baseUrl: ${fedex.url}`,
          '    simulator: never',
          '    credentials: { clientId: "env:FX_ID", clientSecret: "env:FX_SECRET" }',
          '    settings: { accountNumber: "510087020" }',
          '',
        ].join('\n'),
      );
      const env = { MLC_DATA_DIR: path.join(dir, 'doctor-real'), FX_ID: 'doc-id' };
      let r = await cli(['doctor', '--config', file], { ...env, FX_SECRET: 'wrong-secret' });
      assert.match(
        r.stdout,
        /^ok +connection fx: .* reachable .*run `ml-connector migrate` for the full connection test/m,
      );
      assert.equal((await cli(['migrate', '--config', file], env)).code, 0);
      r = await cli(['doctor', '--config', file], { ...env, FX_SECRET: 'wrong-secret' });
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(r.stdout, /^FAIL +connection fx: fedex: bad_credentials/m);
      r = await cli(['doctor', '--config', file], { ...env, FX_SECRET: 'doc-secret' });
      assert.match(r.stdout, /^ok +connection fx: fedex: ok/m);
      assert.ok(!(r.stdout + r.stderr).includes('doc-secret'), 'the secret is never printed');
    } finally {
      await fedex.stop();
    }
  });

  it('doctor says plainly what works and what does not', async () => {
    const r = await cli(['doctor'], {
      MLC_DATA_DIR: path.join(dir, 'doctor'),
      DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none',
    });
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^ok +config: 2 connection\(s\), 1 mapping\(s\)$/m);
    assert.match(r.stdout, /^FAIL +database: .*127\.0\.0\.1:1/m);
    assert.doesNotMatch(r.stdout + r.stderr, /at .*\.ts:\d+/, 'no stack trace');
  });
});

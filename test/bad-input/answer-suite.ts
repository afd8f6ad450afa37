// Runs the malformed-answer part of the corpus against one system's real client: every generic
// answer against every operation (the slow ones against one operation per API), then the system's
// own shape cases. Each case must end in the connector's typed error, of the class the outcome
// names, with a message that names the system and operation and says what was wrong, in bounded
// time, with no secret in the error, the logs or the audit entries; and the client must work again
// as soon as the server answers well.

import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import pino, { type Logger } from 'pino';
import { CLIENT_TIMEOUT_MS, GENERIC_ANSWERS, type Outcome, type ShapeCase } from './corpus';
import { startScriptedHttp, type Reply, type ScriptedHttp, type SeenRequest } from './scripted-http';

export interface Operation<C> {
  /** How the error message must start: the system and the operation (or the step that failed). */
  label: RegExp;
  /** The route that gives the generic malformed answers; every other route answers well. */
  route: RegExp;
  run: (client: C) => Promise<unknown>;
  /** Also run the slow generic cases (timeouts, dropped connections, gigantic bodies). */
  slowProbe?: boolean;
  /** An empty answer is this operation's success. */
  emptyOk?: boolean;
  /** A composite operation: only its own shape cases, not the generic answers. */
  shapesOnly?: boolean;
  /** For bulk operations: the per-item failure messages in the result. */
  itemFailures?: (result: unknown) => string[];
}

export interface ClientUnderTest<C> {
  client: C;
  /** Values that must appear nowhere (credentials, tokens issued during the case). */
  secrets: () => string[];
  audit: () => unknown[];
}

export interface SystemUnderTest<C> {
  title: string;
  ops: Record<string, Operation<C>>;
  shapes: ShapeCase[];
  /** A well-behaved server's answer. */
  good: (req: SeenRequest, baseUrl: string) => Reply;
  client: (baseUrl: string, log: Logger, timeoutMs: number) => ClientUnderTest<C>;
  /** Is this the system's own error class (FedexError, PlexError, ShipStationError)? */
  isTyped: (err: unknown) => boolean;
  /** Error type by outcome. */
  typeFor: (outcome: Outcome) => string;
}

/**
 * The `transport` of the Unavailable error: set only when no complete answer came. A too-large
 * answer did come (reading it stopped at the cap), so it has none, and nothing sends it again.
 */
const TRANSPORT: Partial<Record<Outcome, 'timeout' | 'network'>> = {
  timeout: 'timeout',
  network: 'network',
};

/** A request and at most two re-sends of it (the clients' limit for a read that got no good answer). */
const MAX_SENDS = 3;

function describeError(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

export function answerSuite<C>(sut: SystemUnderTest<C>): void {
  describe(sut.title, () => {
    let server: ScriptedHttp;
    const good = (req: SeenRequest) => sut.good(req, server.url);

    before(async () => {
      server = await startScriptedHttp((req) => good(req));
    });
    after(() => server.stop());

    async function runCase(
      op: Operation<C>,
      route: RegExp,
      reply: Reply | ((req: SeenRequest) => Reply),
      outcome: Outcome | 'item_failure',
      says: RegExp,
      timeoutMs = CLIENT_TIMEOUT_MS,
    ): Promise<void> {
      server.script = (req) =>
        route.test(req.path) ? (typeof reply === 'function' ? reply(req) : reply) : good(req);
      let logged = '';
      const log = pino(
        { level: 'debug' },
        new Writable({
          write(chunk, _enc, done) {
            logged += String(chunk);
            done();
          },
        }),
      );
      const { client, secrets, audit } = sut.client(server.url, log, timeoutMs);
      const sentTo = () => server.requests.filter((r) => route.test(r.path)).length;
      const sentBefore = sentTo();
      let said: string;
      if (outcome === 'item_failure') {
        const result = await op.run(client);
        const failures = op.itemFailures!(result);
        assert.ok(failures.length > 0, 'every item is reported as failed');
        for (const f of failures) assert.match(f, says);
        said = failures.join('\n');
      } else {
        const err = await op.run(client).then(
          () => undefined,
          (e: unknown) => e ?? new Error('rejected with nothing'),
        );
        assert.ok(err !== undefined, 'the call fails');
        assert.ok(sut.isTyped(err), `a typed error of the connector, not ${describeError(err)}`);
        const e = err as Error & { type: string; retryable: boolean; transport?: string };
        assert.equal(e.type, sut.typeFor(outcome), describeError(err));
        assert.equal(e.retryable, outcome !== 'auth', 'retryable unless the credentials were refused');
        assert.equal(e.transport, TRANSPORT[outcome], 'transport is set only when no complete answer came');
        if (outcome === 'too_large')
          assert.equal(sentTo() - sentBefore, 1, 'a too-large answer is not asked for again');
        assert.match(e.message, op.label);
        assert.match(e.message, says);
        if (outcome === 'timeout')
          assert.match(
            e.message,
            new RegExp(`no answer within ${timeoutMs} ms`),
            'the configured timeout ended it',
          );
        said = e.message;
      }
      // Bounded time without a clock: each request ends at the client's timeout (above), and the
      // route is asked a bounded number of times.
      const sent = sentTo() - sentBefore;
      assert.ok(sent >= 1 && sent <= MAX_SENDS, `${sent} requests to the route (at most ${MAX_SENDS})`);
      const everything = [said, logged, JSON.stringify(audit())].join('\n');
      for (const secret of secrets()) {
        assert.ok(!everything.includes(secret), 'no secret in the error, the logs or the audit entries');
      }

      // The same client works as soon as the server answers well again.
      server.script = (req) => good(req);
      await op.run(client);
    }

    for (const [name, op] of Object.entries(sut.ops)) {
      if (op.shapesOnly) continue;
      for (const c of GENERIC_ANSWERS) {
        if (c.slow && !op.slowProbe) continue;
        if (c.emptyOk && op.emptyOk) continue;
        it(`${name}: ${c.name} -> ${c.outcome}`, () =>
          runCase(op, op.route, c.reply, c.outcome, c.says, c.clientTimeoutMs));
      }
    }
    for (const s of sut.shapes) {
      it(`${s.op}: ${s.name} -> ${s.outcome}`, () => {
        const op = sut.ops[s.op];
        assert.ok(op, `operation ${s.op} is in the table`);
        return runCase(op, s.route, s.reply, s.outcome, s.says);
      });
    }
  });
}

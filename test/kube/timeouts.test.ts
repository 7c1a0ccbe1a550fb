// A server that accepts connections and never answers: each attempt is bounded by --request-timeout
// (connecting included), a call with its retries by three times that, retries are announced on stderr,
// and Ctrl-C ends the command at once. The work is bounded by counting attempts, never by the clock.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, test } from 'node:test';
import type { request as undiciRequest } from 'undici';
import { ToolError } from '../../src/diagnostics/tool-error.ts';
import { createKubeClient, dispatcherOptions } from '../../src/kube/client.ts';
import { loadKubeConfig } from '../../src/kube/kubeconfig.ts';
import { RetryBudget, retryPolicy } from '../../src/kube/retry.ts';
import { postBundle } from '../../src/sinks/http-sink.ts';
import { PROPOSAL } from '../commands/helpers.ts';
import { startKubeApiServer, type KubeApiServer } from './api-server.ts';
import { BIN, start } from './bin.ts';

/** Accepts TCP connections and never writes a byte (a TLS handshake to it never completes). */
async function silentServer(): Promise<{ port: number; connections: () => number; requests: () => number; firstConnection: Promise<void>; close: () => Promise<void> }> {
  const sockets: Socket[] = [];
  let requests = 0;
  let first: () => void = () => {};
  const firstConnection = new Promise<void>((resolve) => (first = resolve));
  const server: Server = createServer((socket) => {
    sockets.push(socket);
    socket.on('error', () => {});
    // Plain HTTP: count the request heads that arrive (undici may open a connection it never uses).
    socket.on('data', (d: Buffer) => (requests += (d.toString('latin1').match(/^POST \//gm) ?? []).length));
    first();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    connections: () => sockets.length,
    requests: () => requests,
    firstConnection,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('the per-attempt timeout reaches undici, and a call has a total budget', () => {
  let api: KubeApiServer;
  before(async () => {
    api = await startKubeApiServer();
  });
  after(async () => {
    await api.close();
  });

  it("the dispatcher's connect timeout is the request timeout (undici's own is 10 s)", () => {
    assert.equal(dispatcherOptions({ insecureSkipTlsVerify: false }, 8, 2_000).connect.timeout, 2_000);
  });

  it('RetryBudget: three request timeouts in all; no attempt gets more than what is left', () => {
    let now = 0;
    const policy = retryPolicy({ timeoutMs: 2_000 });
    const budget = new RetryBudget(policy, () => now);
    assert.equal(budget.totalMs, 6_000);
    assert.equal(budget.attemptTimeout(policy), 2_000);
    now = 5_500;
    assert.equal(budget.attemptTimeout(policy), 500);
    assert.equal(budget.allowsWait(400), true);
    assert.equal(budget.allowsWait(500), false);
  });

  const cases = [
    { name: 'kubernetes client', timeoutMs: 40, retries: 4 },
    { name: 'kubernetes client, one retry', timeoutMs: 40, retries: 1 },
  ];
  for (const c of cases) {
    it(`${c.name}: a request that never settles is cut off by each attempt's own timeout`, async () => {
      const calls: { headersTimeout: number | undefined; bodyTimeout: number | undefined; hasSignal: boolean }[] = [];
      // Like undici with a server that never finishes the TLS handshake: the promise ignores the signal.
      const stuck = ((_url: unknown, options: { headersTimeout?: number; bodyTimeout?: number; signal?: unknown }) => {
        calls.push({ headersTimeout: options.headersTimeout, bodyTimeout: options.bodyTimeout, hasSignal: options.signal !== undefined });
        return new Promise(() => {});
      }) as unknown as typeof undiciRequest;
      const retries: string[] = [];
      const config = loadKubeConfig({ kubeconfig: api.writeKubeconfig({ auth: 'token' }), env: {}, homeDir: '/x' });
      const client = createKubeClient(config, { request: stuck, retries: c.retries, retry: { baseDelayMs: 1, maxDelayMs: 2, timeoutMs: c.timeoutMs, totalMs: 60_000 }, onRetry: (l) => retries.push(l) });
      try {
        await assert.rejects(client.discover('networking.istio.io'), (e: unknown) => e instanceof ToolError && e.code === 'API_UNREACHABLE' && /did not answer in time/.test(e.message));
      } finally {
        await client.close();
      }
      assert.equal(calls.length, c.retries + 1, 'every attempt was made, each ended by its timeout');
      for (const call of calls) {
        assert.ok(call.hasSignal);
        assert.ok(call.headersTimeout !== undefined && call.headersTimeout <= c.timeoutMs, String(call.headersTimeout));
        assert.ok(call.bodyTimeout !== undefined && call.bodyTimeout <= c.timeoutMs);
      }
      assert.equal(retries.length, c.retries, 'each retry was announced');
      assert.match(retries[0] ?? '', /no answer within 40 ms; retrying in \d+ ms \(attempt 2 of \d\)/);
    });
  }

  it('the total budget stops the retries before the attempts run out', async () => {
    let calls = 0;
    const stuck = (() => {
      calls++;
      return new Promise(() => {});
    }) as unknown as typeof undiciRequest;
    const config = loadKubeConfig({ kubeconfig: api.writeKubeconfig({ auth: 'token' }), env: {}, homeDir: '/x' });
    // Backoff of 100-200 ms against a budget of 3 × 40 ms: the first wait already does not fit.
    const client = createKubeClient(config, { request: stuck, retries: 4, retry: { baseDelayMs: 200, maxDelayMs: 200, timeoutMs: 40 } });
    try {
      await assert.rejects(client.discover('networking.istio.io'), (e: unknown) => e instanceof ToolError && e.code === 'API_UNREACHABLE');
    } finally {
      await client.close();
    }
    assert.equal(calls, 1);
  });

  it('http target: the same per-attempt timeout and announced retries', async () => {
    const calls: (number | undefined)[] = [];
    const stuck = ((_url: unknown, options: { headersTimeout?: number }) => {
      calls.push(options.headersTimeout);
      return new Promise(() => {});
    }) as unknown as typeof undiciRequest;
    const retries: string[] = [];
    await assert.rejects(
      postBundle({ url: 'http://127.0.0.1:9/x', body: '{}', contentType: 'application/json', request: stuck, retry: { retries: 2, baseDelayMs: 1, maxDelayMs: 2, timeoutMs: 30, totalMs: 60_000 }, onRetry: (l) => retries.push(l) }),
      (e: unknown) => e instanceof ToolError && e.code === 'API_UNREACHABLE',
    );
    assert.equal(calls.length, 3);
    assert.ok(calls.every((t) => t !== undefined && t <= 30));
    assert.equal(retries.length, 2);
  });
});

describe('the real binary against a server that accepts and never answers', () => {
  let dir: string;
  let api: KubeApiServer;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cfmesh-silent-'));
    writeFileSync(join(dir, 'm.yml'), PROPOSAL);
    api = await startKubeApiServer();
  });
  after(async () => {
    await api.close();
    rmSync(dir, { recursive: true, force: true });
  });

  // Attempts are counted at the server: TLS connections for the API server (the handshake never ends, so
  // one attempt is one connection), request heads for the plain HTTP endpoint.
  const targets = [
    { name: 'kubernetes', args: (port: number) => ['--apply', '--kubeconfig', api.writeKubeconfig({ auth: 'token', server: `https://127.0.0.1:${port}` })], attempts: (s: { connections: () => number }) => s.connections() },
    { name: 'http', args: (port: number) => ['--target', 'http', '--url', `http://127.0.0.1:${port}/bundles`], attempts: (s: { requests: () => number }) => s.requests() },
  ];
  for (const target of targets) {
    test(`--target ${target.name} --request-timeout 0.3: attempts bounded by the budget, each retry announced, exit 4`, async () => {
      const silent = await silentServer();
      try {
        const r = await start(process.execPath, [BIN, 'convert', '-f', 'm.yml', ...target.args(silent.port), '--request-timeout', '0.3'], { cwd: dir, env: { HOME: dir, KUBECONFIG: undefined } }).done;
        assert.equal(r.code, 4, r.err);
        assert.match(r.err, /API_UNREACHABLE .*(did not answer in time|no answer within)/);
        const announced = (r.err.match(/^retrying: .*no answer within 300 ms; retrying in/gm) ?? []).length;
        // 0.3 s per attempt within 0.9 s in all, backoff from 125 ms: two attempts, one retry.
        assert.equal(target.attempts(silent), announced + 1, r.err);
        assert.ok(announced >= 1 && announced <= 2, r.err);
      } finally {
        await silent.close();
      }
    });
  }

  test('Ctrl-C while connecting to it ends the command with 130, without another attempt', { timeout: 60_000 }, async () => {
    const silent = await silentServer();
    try {
      // A request timeout of 120 s: only the interrupt can end this run before the test's own timeout.
      const run = start(process.execPath, [BIN, 'convert', '-f', 'm.yml', ...targets[0]!.args(silent.port), '--request-timeout', '120'], { cwd: dir, env: { HOME: dir, KUBECONFIG: undefined } });
      await silent.firstConnection;
      run.child.kill('SIGINT');
      const r = await run.done;
      assert.equal(r.code, 130, r.err);
      assert.match(r.err, /INTERRUPTED/);
      assert.equal(silent.connections(), 1);
    } finally {
      await silent.close();
    }
  });
});

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ToolError } from '../../src/diagnostics/tool-error.ts';
import { bundleIdempotencyKey, postBundle } from '../../src/sinks/http-sink.ts';
import { FAST_RETRY } from './helpers.ts';

const TOKEN = 'plain-cp-token-abcdef123456';

describe('postBundle', () => {
  let server: Server;
  let url: string;
  let dir: string;
  const seen: { headers: IncomingMessage['headers']; body: string }[] = [];
  let failNext: { code: number; count: number } | undefined;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cfmesh-http-'));
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        seen.push({ headers: req.headers, body });
        if (failNext && failNext.count > 0) {
          failNext.count--;
          res.writeHead(failNext.code, { 'content-type': 'text/plain' });
          res.end(`failing; you sent ${String(req.headers.authorization)}`);
          return;
        }
        if (req.headers.authorization !== `Bearer ${TOKEN}`) {
          res.writeHead(401, { 'content-type': 'text/plain' });
          res.end(`bad credentials: ${String(req.headers.authorization)}`);
          return;
        }
        res.writeHead(202, { 'content-type': 'application/json' });
        res.end('{"accepted":true}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const a = server.address();
    url = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}/bundles`;
  });
  after(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('posts with a token from a file, a deterministic Idempotency-Key, and retries 503s', async () => {
    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, `${TOKEN}\n`);
    failNext = { code: 503, count: 2 };
    const body = '{"kind":"List","items":[]}';
    const report = await postBundle({ url, body, contentType: 'application/json', tokenFile, retry: FAST_RETRY });
    assert.equal(report.status, 202);
    assert.equal(report.attempts, 3);
    assert.equal(report.idempotencyKey, bundleIdempotencyKey(body));
    const keys = new Set(seen.slice(-3).map((s) => s.headers['idempotency-key']));
    assert.deepEqual([...keys], [bundleIdempotencyKey(body)]);
    assert.equal(seen.at(-1)?.headers['content-type'], 'application/json');
  });

  it('reads the token from an env var by name', async () => {
    const report = await postBundle({ url, body: 'a: 1\n', contentType: 'application/yaml', tokenEnv: 'CP_TOKEN', env: { CP_TOKEN: TOKEN }, retry: FAST_RETRY });
    assert.equal(report.status, 202);
    await assert.rejects(postBundle({ url, body: 'x', contentType: 'application/yaml', tokenEnv: 'UNSET_VAR', env: {}, retry: FAST_RETRY }), (e: unknown) => e instanceof ToolError && e.code === 'USAGE');
  });

  it('maps failures to API_* codes and never shows the token', async () => {
    await assert.rejects(postBundle({ url, body: 'x', contentType: 'application/yaml', tokenEnv: 'T', env: { T: 'wrong-token-0000000' }, retry: FAST_RETRY }), (e: unknown) => {
      assert.ok(e instanceof ToolError);
      assert.equal(e.code, 'API_AUTH');
      assert.ok(!e.message.includes('wrong-token-0000000'), e.message);
      return true;
    });
    failNext = { code: 500, count: 10 };
    await assert.rejects(postBundle({ url, body: 'x', contentType: 'application/yaml', tokenEnv: 'T', env: { T: TOKEN }, retry: { ...FAST_RETRY, retries: 2 } }), (e: unknown) => {
      assert.ok(e instanceof ToolError);
      assert.equal(e.code, 'API_UNREACHABLE');
      assert.match(e.message, /gave up after 3 attempts/);
      assert.ok(!e.message.includes(TOKEN), e.message);
      return true;
    });
    failNext = undefined;
    await assert.rejects(postBundle({ url: 'http://127.0.0.1:1/x', body: 'x', contentType: 'application/yaml', retry: FAST_RETRY }), (e: unknown) => e instanceof ToolError && e.code === 'API_UNREACHABLE');
  });

  // An HTTP endpoint is not an API server: its answer is reported with the status, and the hint is about
  // the endpoint (its token, its logs, --url), not a kubeconfig.
  const answers = [
    { status: 500, code: 'API_UNREACHABLE', message: /the endpoint answered HTTP 500 Internal Server Error: failing; .*\(gave up after 2 attempts\)/, hint: /check its logs/ },
    { status: 503, code: 'API_UNREACHABLE', message: /HTTP 503 Service Unavailable/, hint: /check its logs/ },
    { status: 404, code: 'API_REJECTED', message: /HTTP 404 Not Found/, hint: /--url/ },
    { status: 403, code: 'API_AUTH', message: /HTTP 403 Forbidden/, hint: /permissions at the endpoint/ },
  ];
  for (const a of answers) {
    it(`HTTP ${a.status} is ${a.code} with the status and an endpoint's hint`, async () => {
      failNext = { code: a.status, count: 10 };
      try {
        await assert.rejects(postBundle({ url, body: 'x', contentType: 'application/yaml', tokenEnv: 'T', env: { T: TOKEN }, retry: { ...FAST_RETRY, retries: 1 } }), (e: unknown) => {
          assert.ok(e instanceof ToolError);
          assert.equal(e.code, a.code);
          assert.equal(e.httpStatus, a.status);
          assert.match(e.message, a.message);
          assert.match(e.hint ?? '', a.hint);
          assert.doesNotMatch(`${e.message} ${e.hint ?? ''}`, /kubeconfig|API server/);
          assert.ok(!e.message.includes(TOKEN), e.message);
          return true;
        });
      } finally {
        failNext = undefined;
      }
    });
  }
});

describe('a bearer token over plain http://', () => {
  const cases = [
    { url: 'http://cp.example.com/bundles', insecure: false, outcome: 'refused' },
    { url: 'http://10.0.0.5:8080/bundles', insecure: false, outcome: 'refused' },
    { url: 'http://cp.example.com/bundles', insecure: true, outcome: 'sent, with a warning' },
    { url: 'http://127.0.0.1:8080/bundles', insecure: false, outcome: 'sent' },
    { url: 'http://localhost:8080/bundles', insecure: false, outcome: 'sent' },
    { url: 'http://[::1]:8080/bundles', insecure: false, outcome: 'sent' },
    { url: 'https://cp.example.com/bundles', insecure: false, outcome: 'sent' },
  ] as const;
  for (const c of cases) {
    it(`${c.url}${c.insecure ? ' with --insecure-http' : ''}: ${c.outcome}`, async () => {
      const sent: string[] = [];
      const warnings: string[] = [];
      const fake = (async (_url: unknown, options: { headers: Record<string, string> }) => {
        sent.push(options.headers['authorization'] ?? '');
        return { statusCode: 202, statusText: 'Accepted', headers: {}, body: { text: async () => '' } };
      }) as unknown as NonNullable<Parameters<typeof postBundle>[0]['request']>;
      const post = postBundle({ url: c.url, body: '{}', contentType: 'application/json', tokenEnv: 'T', env: { T: TOKEN }, insecureHttp: c.insecure, request: fake, warn: (l) => warnings.push(l), retry: FAST_RETRY });
      if (c.outcome === 'refused') {
        await assert.rejects(post, (e: unknown) => e instanceof ToolError && e.code === 'USAGE' && /plain http:\/\//.test(e.message) && /--insecure-http/.test(e.hint ?? ''));
        assert.deepEqual(sent, [], 'nothing was sent');
      } else {
        await post;
        assert.deepEqual(sent, [`Bearer ${TOKEN}`]);
        assert.equal(warnings.length, c.outcome === 'sent, with a warning' ? 1 : 0);
      }
    });
  }
});

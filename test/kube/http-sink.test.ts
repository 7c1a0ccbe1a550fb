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
});

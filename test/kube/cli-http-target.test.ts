// `convert --target http`: the bundle is POSTed to a plain endpoint (a real server on 127.0.0.1).
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { main } from '../../src/main.ts';
import { memoryIo } from '../helpers/memory-io.ts';

const manifest = 'applications:\n- name: a\n  routes:\n  - route: a.example.com\n';
const TOKEN = 'cp-token-9f8e7d6c5b4a';

test('POSTs a JSON List with a bearer token from a file and an idempotency key; retries a 503', async () => {
  const seen: { headers: IncomingMessage['headers']; body: string }[] = [];
  let failures = 1;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      seen.push({ headers: req.headers, body });
      if (failures-- > 0) {
        res.writeHead(503, { 'retry-after': '0' }).end(`unavailable; you sent ${req.headers.authorization}`);
        return;
      }
      res.writeHead(req.headers.authorization === `Bearer ${TOKEN}` ? 202 : 401).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const dir = mkdtempSync(join(tmpdir(), 'cfmesh-http-'));
  writeFileSync(join(dir, 'token'), `${TOKEN}\n`);
  try {
    const io = memoryIo({ stdin: manifest, cwd: dir });
    const exit = await main(['convert', '-f', '-', '--target', 'http', '--url', `http://127.0.0.1:${port}/bundles`, '--token-file', 'token', '--json'], io);
    assert.equal(exit, 0, io.err());
    const report = JSON.parse(io.out()) as { status: number; attempts: number; idempotencyKey: string };
    assert.equal(report.status, 202);
    assert.equal(report.attempts, 2);
    const last = seen[seen.length - 1]!;
    assert.equal(last.headers['content-type'], 'application/json');
    assert.equal(last.headers['idempotency-key'], report.idempotencyKey);
    assert.equal(seen[0]!.headers['idempotency-key'], report.idempotencyKey, 'the same key on every attempt');
    const bundle = JSON.parse(last.body) as { kind: string; items: { kind: string }[] };
    assert.equal(bundle.kind, 'List');
    assert.deepEqual(bundle.items.map((i) => i.kind), ['Gateway', 'VirtualService']);
    assert.ok(!(io.out() + io.err()).includes(TOKEN));
  } finally {
    server.close();
  }
});

test('a token is never taken from a flag value: --token is not an option', async () => {
  const io = memoryIo({ stdin: manifest });
  assert.equal(await main(['convert', '-f', '-', '--target', 'http', '--url', 'http://127.0.0.1:9/x', '--token', TOKEN], io), 2);
});

test('a token for a plain http:// URL on another host is refused before anything is sent; --insecure-http lets it through', async () => {
  const refused = memoryIo({ stdin: manifest, env: { CP_TOKEN: TOKEN } });
  assert.equal(await main(['convert', '-f', '-', '--target', 'http', '--url', 'http://cp.example.invalid/bundles', '--token-env', 'CP_TOKEN'], refused), 2);
  assert.match(refused.err(), /error USAGE refusing to send the bearer token to http:\/\/cp\.example\.invalid over plain http:\/\//);
  assert.match(refused.err(), /--insecure-http/);
  // With the flag it is sent (here the host does not resolve, so it fails later, as the network says) and warned about.
  const allowed = memoryIo({ stdin: manifest, env: { CP_TOKEN: TOKEN } });
  assert.equal(await main(['-q', 'convert', '-f', '-', '--target', 'http', '--url', 'http://cp.example.invalid/bundles', '--token-env', 'CP_TOKEN', '--insecure-http', '--request-timeout', '2'], allowed), 4);
  assert.match(allowed.err(), /warning NOTICE sending the bearer token to http:\/\/cp\.example\.invalid over plain http:\/\//);
  assert.ok(!(allowed.out() + allowed.err()).includes(TOKEN));
});

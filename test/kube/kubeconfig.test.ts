import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { ToolError } from '../../src/diagnostics/tool-error.ts';
import { createKubeClient } from '../../src/kube/client.ts';
import { loadKubeConfig } from '../../src/kube/kubeconfig.ts';
import { startKubeApiServer, type KubeApiServer } from './api-server.ts';
import { FAST_RETRY } from './helpers.ts';

const VS_REF = { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', namespace: 'default', name: 'absent' } as const;

function kc(doc: Record<string, unknown>): string {
  return stringify({ apiVersion: 'v1', kind: 'Config', ...doc });
}

function throwsCode(fn: () => unknown, code: string, re?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ToolError, String(e));
    assert.equal(e.code, code, e.message);
    if (re) assert.match(e.message, re);
    return true;
  });
}

describe('loadKubeConfig against a live test server', () => {
  let server: KubeApiServer;
  before(async () => {
    server = await startKubeApiServer();
  });
  after(async () => server.close());

  const methods = [
    { auth: 'token', expect: 'bearer' },
    { auth: 'tokenFile', expect: 'bearer' },
    { auth: 'basic', expect: 'basic' },
    { auth: 'cert-data', expect: 'cert' },
    { auth: 'cert-file', expect: 'cert' },
    { auth: 'exec', expect: 'bearer' },
  ] as const;
  for (const m of methods) {
    it(`authenticates with ${m.auth}`, async () => {
      const config = loadKubeConfig({ kubeconfig: server.writeKubeconfig({ auth: m.auth }), env: {}, homeDir: '/nonexistent' });
      const client = createKubeClient(config, { retry: FAST_RETRY });
      try {
        assert.equal(await client.get(VS_REF), undefined);
        assert.equal(server.requests.at(-1)?.auth, m.expect);
      } finally {
        await client.close();
      }
    });
  }

  it('re-reads tokenFile on every request (rotation)', async () => {
    const file = server.writeKubeconfig({ auth: 'tokenFile' });
    const config = loadKubeConfig({ kubeconfig: file, env: {}, homeDir: '/nonexistent' });
    assert.equal(config.auth.type, 'tokenFile');
    const client = createKubeClient(config, { retry: FAST_RETRY });
    try {
      await client.get(VS_REF);
      const rotated = 'rotated-token-0123456789';
      server.addToken(rotated);
      writeFileSync(join(server.dir, 'token'), rotated);
      await client.get(VS_REF);
      writeFileSync(join(server.dir, 'token'), 'revoked-token-xyz');
      await assert.rejects(client.get(VS_REF), (e: unknown) => e instanceof ToolError && e.code === 'API_AUTH');
    } finally {
      await client.close();
    }
  });

  it('uses insecure-skip-tls-verify without a CA', async () => {
    const config = loadKubeConfig({ kubeconfig: server.writeKubeconfig({ auth: 'token', ca: 'none', insecure: true }), env: {}, homeDir: '/x' });
    assert.equal(config.tls.insecureSkipTlsVerify, true);
    const client = createKubeClient(config, { retry: FAST_RETRY });
    try {
      assert.equal(await client.get(VS_REF), undefined);
    } finally {
      await client.close();
    }
  });

  it('verifies TLS by default: no CA means an untrusted certificate (API_TLS)', async () => {
    const config = loadKubeConfig({ kubeconfig: server.writeKubeconfig({ auth: 'token', ca: 'none' }), env: {}, homeDir: '/x' });
    const client = createKubeClient(config, { retry: FAST_RETRY });
    try {
      await assert.rejects(client.get(VS_REF), (e: unknown) => {
        assert.ok(e instanceof ToolError);
        assert.equal(e.code, 'API_TLS');
        assert.match(e.message, /not trusted/);
        assert.match(e.hint ?? '', /certificate-authority/);
        return true;
      });
    } finally {
      await client.close();
    }
  });

  it('resolves relative certificate and token paths against the kubeconfig directory', async () => {
    for (const auth of ['cert-file', 'tokenFile'] as const) {
      const file = server.writeKubeconfig({ auth, ca: 'file', relativePaths: true });
      const config = loadKubeConfig({ kubeconfig: file, env: {}, homeDir: '/x' });
      assert.ok(config.tls.ca?.includes('BEGIN CERTIFICATE'));
      const client = createKubeClient(config, { retry: FAST_RETRY });
      try {
        assert.equal(await client.get(VS_REF), undefined);
      } finally {
        await client.close();
      }
    }
  });
});

describe('tls-server-name and hostname mismatch', () => {
  let server: KubeApiServer;
  before(async () => {
    server = await startKubeApiServer({ wrongHostCert: true });
  });
  after(async () => server.close());

  it('a certificate for another name is API_TLS pointing at tls-server-name', async () => {
    const client = createKubeClient(loadKubeConfig({ kubeconfig: server.writeKubeconfig({ auth: 'token' }), env: {}, homeDir: '/x' }), { retry: FAST_RETRY });
    try {
      await assert.rejects(client.get(VS_REF), (e: unknown) => {
        assert.ok(e instanceof ToolError);
        assert.equal(e.code, 'API_TLS');
        assert.match(e.message, /does not match its host name/);
        assert.match(e.hint ?? '', /tls-server-name/);
        return true;
      });
    } finally {
      await client.close();
    }
  });

  it('tls-server-name makes the same certificate acceptable', async () => {
    const config = loadKubeConfig({ kubeconfig: server.writeKubeconfig({ auth: 'token', tlsServerName: 'kubernetes.default.svc' }), env: {}, homeDir: '/x' });
    assert.equal(config.tls.serverName, 'kubernetes.default.svc');
    const client = createKubeClient(config, { retry: FAST_RETRY });
    try {
      assert.equal(await client.get(VS_REF), undefined);
    } finally {
      await client.close();
    }
  });
});

describe('loadKubeConfig rules', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'cfmesh-kc-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const cluster = (server: string, extra: Record<string, unknown> = {}) => ({ server, 'insecure-skip-tls-verify': true, ...extra });

  it('merges KUBECONFIG first-wins per name, current-context from the first file that sets it', () => {
    const a = join(dir, 'a.yaml');
    const b = join(dir, 'b.yaml');
    const empty = join(dir, 'empty.yaml');
    writeFileSync(empty, '');
    writeFileSync(
      a,
      kc({
        clusters: [{ name: 'c1', cluster: cluster('https://one.example:6443') }],
        users: [{ name: 'u1', user: { token: 'first-token' } }],
        contexts: [{ name: 'ctx', context: { cluster: 'c1', user: 'u1' } }],
      }),
    );
    writeFileSync(
      b,
      kc({
        'current-context': 'ctx',
        clusters: [
          { name: 'c1', cluster: cluster('https://two.example:6443') },
          { name: 'c2', cluster: cluster('https://three.example') },
        ],
        users: [{ name: 'u1', user: { username: 'later', password: 'ignored' } }],
        contexts: [
          { name: 'ctx', context: { cluster: 'c2', user: 'u1', namespace: 'from-b' } },
          { name: 'other', context: { cluster: 'c2', user: 'u1', namespace: 'ns-other' } },
        ],
      }),
    );
    const env = { KUBECONFIG: [join(dir, 'missing.yaml'), empty, a, b].join(':') };
    const c = loadKubeConfig({ env, homeDir: '/x' });
    assert.equal(c.contextName, 'ctx');
    assert.equal(c.server, 'https://one.example:6443'); // a's context and cluster win entirely
    assert.deepEqual(c.auth, { type: 'token', token: 'first-token' });
    assert.equal(c.namespace, 'default'); // a's ctx has no namespace; b's same-named ctx is ignored whole
    const other = loadKubeConfig({ env, homeDir: '/x', context: 'other' });
    assert.equal(other.server, 'https://three.example');
    assert.equal(other.namespace, 'ns-other');
    assert.equal(loadKubeConfig({ env, homeDir: '/x', context: 'other', namespace: 'explicit' }).namespace, 'explicit');
  });

  it('an unparseable file in KUBECONFIG is an error; a missing --kubeconfig is FILE_READ', () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'clusters: [unclosed');
    throwsCode(() => loadKubeConfig({ env: { KUBECONFIG: bad }, homeDir: '/x' }), 'KUBECONFIG', /not valid YAML/);
    throwsCode(() => loadKubeConfig({ kubeconfig: join(dir, 'nope'), env: {}, homeDir: '/x' }), 'FILE_READ');
  });

  it('falls back to ~/.kube/config', () => {
    const home = join(dir, 'home');
    mkdirSync(join(home, '.kube'), { recursive: true });
    writeFileSync(
      join(home, '.kube', 'config'),
      kc({ 'current-context': 'h', clusters: [{ name: 'c', cluster: cluster('https://home.example') }], contexts: [{ name: 'h', context: { cluster: 'c', namespace: 'homens' } }] }),
    );
    const c = loadKubeConfig({ env: {}, homeDir: home });
    assert.equal(c.server, 'https://home.example');
    assert.equal(c.namespace, 'homens');
    assert.deepEqual(c.auth, { type: 'none' });
  });

  it('names unknown contexts and clusters, and lists the known ones', () => {
    const f = join(dir, 'ctx.yaml');
    writeFileSync(f, kc({ clusters: [{ name: 'c', cluster: cluster('https://x') }], contexts: [{ name: 'dev', context: { cluster: 'c' } }, { name: 'prod', context: { cluster: 'gone' } }] }));
    throwsCode(() => loadKubeConfig({ kubeconfig: f, env: {}, homeDir: '/x' }), 'KUBECONFIG', /no current context/);
    throwsCode(() => loadKubeConfig({ kubeconfig: f, context: 'stage', env: {}, homeDir: '/x' }), 'KUBECONFIG', /context "stage" does not exist/);
    throwsCode(() => loadKubeConfig({ kubeconfig: f, context: 'prod', env: {}, homeDir: '/x' }), 'KUBECONFIG', /cluster "gone"/);
  });

  it('rejects auth-providers, SOCKS proxies, token+basic together; accepts http proxies', () => {
    const f = join(dir, 'misc.yaml');
    const write = (user: Record<string, unknown>, clusterExtra: Record<string, unknown> = {}) =>
      writeFileSync(f, kc({ 'current-context': 'x', clusters: [{ name: 'c', cluster: cluster('https://x', clusterExtra) }], users: [{ name: 'u', user }], contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }] }));
    write({ 'auth-provider': { name: 'gcp', config: { 'access-token': 'secret-gcp-token' } } });
    throwsCode(() => loadKubeConfig({ kubeconfig: f, env: {}, homeDir: '/x' }), 'KUBECONFIG', /auth-provider "gcp".*not support/);
    write({ token: 't' }, { 'proxy-url': 'socks5://proxy:1080' });
    throwsCode(() => loadKubeConfig({ kubeconfig: f, env: {}, homeDir: '/x' }), 'KUBECONFIG', /not supported/);
    write({ token: 'tok', username: 'u', password: 'p' });
    throwsCode(() => loadKubeConfig({ kubeconfig: f, env: {}, homeDir: '/x' }), 'KUBECONFIG', /both a bearer token and a username/);
    write({ token: 't' }, { 'proxy-url': 'http://proxy.internal:3128' });
    assert.equal(loadKubeConfig({ kubeconfig: f, env: {}, homeDir: '/x' }).proxyUrl, 'http://proxy.internal:3128');
  });

  it('uses the in-cluster service account when there is no kubeconfig', () => {
    const sa = join(dir, 'sa');
    mkdirSync(sa, { recursive: true });
    writeFileSync(join(sa, 'token'), 'sa-token');
    writeFileSync(join(sa, 'ca.crt'), '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
    writeFileSync(join(sa, 'namespace'), 'from-file\n');
    const env = { KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '443' };
    const c = loadKubeConfig({ env, homeDir: join(dir, 'nohome'), inClusterDir: sa });
    assert.equal(c.source, 'in-cluster');
    assert.equal(c.server, 'https://10.0.0.1:443');
    assert.equal(c.namespace, 'from-file');
    assert.deepEqual(c.auth, { type: 'tokenFile', path: join(sa, 'token') });
    assert.match(c.tls.ca ?? '', /BEGIN CERTIFICATE/);
    assert.equal(loadKubeConfig({ env: { ...env, POD_NAMESPACE: 'pod-ns' }, homeDir: join(dir, 'nohome'), inClusterDir: sa }).namespace, 'pod-ns');
    assert.equal(loadKubeConfig({ env: { ...env, KUBERNETES_SERVICE_HOST: 'fd00::1' }, homeDir: join(dir, 'nohome'), inClusterDir: sa }).server, 'https://[fd00::1]:443');
    throwsCode(() => loadKubeConfig({ env: {}, homeDir: join(dir, 'nohome') }), 'KUBECONFIG', /no Kubernetes configuration/);
  });
});

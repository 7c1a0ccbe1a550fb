import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { ToolError } from '../../src/diagnostics/tool-error.ts';
import { applyResources } from '../../src/kube/apply.ts';
import { createKubeClient } from '../../src/kube/client.ts';
import { loadKubeConfig } from '../../src/kube/kubeconfig.ts';
import { startKubeApiServer, type KubeApiServer, type KubeconfigSpec } from './api-server.ts';
import { FAST_RETRY, vs } from './helpers.ts';

const REF = { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', namespace: 'shop', name: 'x' } as const;

/** Everything a user could ever see from a failure: message, hint, details, cause chain. */
function visible(e: unknown): string {
  const parts: string[] = [];
  let cur: unknown = e;
  for (let i = 0; i < 5 && cur; i++) {
    if (cur instanceof Error) parts.push(cur.message, String(cur.stack ?? ''));
    if (cur instanceof ToolError) parts.push(cur.hint ?? '', ...cur.details.map((d) => d.message));
    cur = (cur as { cause?: unknown }).cause;
  }
  return parts.join('\n');
}

function assertNoSecrets(text: string, secrets: readonly string[]): void {
  for (const s of secrets) assert.ok(!text.includes(s), `secret leaked: …${s.slice(0, 6)}… in:\n${text.slice(0, 2000)}`);
}

describe('secrets never appear in errors, logs or reports', () => {
  let server: KubeApiServer;
  before(async () => {
    server = await startKubeApiServer({ echoHeadersInErrors: true });
  });
  after(async () => server.close());

  const specs: KubeconfigSpec[] = [{ auth: 'token' }, { auth: 'tokenFile' }, { auth: 'basic' }, { auth: 'cert-data' }, { auth: 'cert-file' }, { auth: 'exec' }];
  for (const spec of specs) {
    it(`${spec.auth}: a server echoing request headers in its errors`, async () => {
      const log: string[] = [];
      const config = loadKubeConfig({ kubeconfig: server.writeKubeconfig(spec), env: {}, homeDir: '/x' });
      const client = createKubeClient(config, { retry: FAST_RETRY, retries: 1, log: (l) => log.push(l) });
      const seen: string[] = [];
      try {
        // 500 (echoing) until retries run out
        server.inject({ type: 'status', code: 500 }, 2);
        await assert.rejects(client.get(REF), (e: unknown) => (seen.push(visible(e)), true));
        // 422 with echo
        await assert.rejects(client.apply(vs('Bad_Name', ['b'], [['b', 100]])), (e: unknown) => (seen.push(visible(e)), true));
        const report = await applyResources(client, [vs('Bad_Name', ['b'], [['b', 100]])], { namespace: 'shop', prune: false, dryRun: false, forceConflicts: false });
        seen.push(JSON.stringify(report), ...report.items.map((i) => visible(i.error)));
      } finally {
        await client.close();
      }
      if (!spec.auth.startsWith('cert')) assert.ok(seen.join('').includes('[REDACTED]'), 'the echoed Authorization header was masked');
      assertNoSecrets([...seen, ...log].join('\n'), server.secrets);
    });
  }

  it('a wrong token echoed back in a 401 is masked', async () => {
    const config = loadKubeConfig({ kubeconfig: server.writeKubeconfig({ auth: 'token' }), env: {}, homeDir: '/x' });
    const wrong = 'wrong-but-still-secret-0000';
    const client = createKubeClient({ ...config, auth: { type: 'token', token: wrong } }, { retry: FAST_RETRY });
    try {
      await assert.rejects(client.get(REF), (e: unknown) => {
        assert.equal((e as ToolError).code, 'API_AUTH');
        assertNoSecrets(visible(e), [wrong]);
        return true;
      });
    } finally {
      await client.close();
    }
  });

  it('a failing exec plugin: clear error with installHint, never its stdout', async () => {
    const script = server.writeExecPlugin({ fail: 'token expired, run `login`', token: 'stdout-secret-token-123' });
    const file = server.writeKubeconfig({ auth: 'exec', exec: { script, installHint: 'install the login plugin from example.com' } });
    const client = createKubeClient(loadKubeConfig({ kubeconfig: file, env: {}, homeDir: '/x' }), { retry: FAST_RETRY });
    try {
      await assert.rejects(client.get(REF), (e: unknown) => {
        assert.ok(e instanceof ToolError);
        assert.equal(e.code, 'API_AUTH');
        assert.match(e.message, /exec credential plugin .* failed with exit code 3: token expired/);
        assert.equal(e.hint, 'install the login plugin from example.com');
        assertNoSecrets(visible(e), ['stdout-secret-token-123']);
        return true;
      });
    } finally {
      await client.close();
    }
  });
});

describe('exec credential plugins', () => {
  let server: KubeApiServer;
  before(async () => {
    server = await startKubeApiServer();
  });
  after(async () => server.close());

  it('caches the credential until expirationTimestamp, passes env and KUBERNETES_EXEC_INFO', async () => {
    const script = server.writeExecPlugin({ expiresInSeconds: 3600 });
    const file = server.writeKubeconfig({ auth: 'exec', exec: { script, provideClusterInfo: true, env: [{ name: 'FOO', value: 'bar' }] } });
    const client = createKubeClient(loadKubeConfig({ kubeconfig: file, env: { PATH: process.env.PATH }, homeDir: '/x' }), { retry: FAST_RETRY });
    try {
      await client.get(REF);
      await client.get(REF);
      await client.get(REF);
      assert.equal(server.execInvocations(script), 1);
      const info = JSON.parse(readFileSync(`${script.replace(/\.mjs$/, '.count')}.env`, 'utf8')) as { kind: string; spec: { interactive: boolean; cluster?: { server: string; 'certificate-authority-data'?: string } } };
      assert.equal(info.kind, 'ExecCredential');
      assert.equal(info.spec.interactive, false);
      assert.equal(info.spec.cluster?.server, server.url);
      assert.ok(info.spec.cluster?.['certificate-authority-data']);
    } finally {
      await client.close();
    }
  });

  it('re-runs an expired credential', async () => {
    const script = server.writeExecPlugin({ expiresInSeconds: 1 }); // inside the 10 s safety margin: always stale
    const client = createKubeClient(loadKubeConfig({ kubeconfig: server.writeKubeconfig({ auth: 'exec', exec: { script } }), env: {}, homeDir: '/x' }), { retry: FAST_RETRY });
    try {
      await client.get(REF);
      await client.get(REF);
      assert.equal(server.execInvocations(script), 2);
    } finally {
      await client.close();
    }
  });

  it('accepts v1beta1 and a client certificate from the plugin', async () => {
    const script = server.writeExecPlugin({ clientCert: true, apiVersion: 'client.authentication.k8s.io/v1beta1' });
    const file = server.writeKubeconfig({ auth: 'exec', exec: { script, apiVersion: 'client.authentication.k8s.io/v1beta1' } });
    const client = createKubeClient(loadKubeConfig({ kubeconfig: file, env: {}, homeDir: '/x' }), { retry: FAST_RETRY });
    try {
      assert.equal(await client.get(REF), undefined);
      assert.equal(server.requests.at(-1)?.auth, 'cert');
    } finally {
      await client.close();
    }
  });

  it('a plugin that answers with the wrong apiVersion, or is missing, is a clear error', async () => {
    const script = server.writeExecPlugin({ apiVersion: 'client.authentication.k8s.io/v1beta1' });
    const file = server.writeKubeconfig({ auth: 'exec', exec: { script } });
    const client = createKubeClient(loadKubeConfig({ kubeconfig: file, env: {}, homeDir: '/x' }), { retry: FAST_RETRY });
    try {
      await assert.rejects(client.get(REF), /answered with apiVersion client\.authentication\.k8s\.io\/v1beta1/);
    } finally {
      await client.close();
    }
    const config = loadKubeConfig({ kubeconfig: server.writeKubeconfig({ auth: 'exec' }), env: {}, homeDir: '/x' });
    assert.equal(config.auth.type, 'exec');
    if (config.auth.type !== 'exec') return;
    const missing = createKubeClient({ ...config, auth: { type: 'exec', exec: { ...config.auth.exec, command: '/nonexistent/kubelogin', installHint: 'brew install kubelogin' } } }, { retry: FAST_RETRY });
    try {
      await assert.rejects(missing.get(REF), (e: unknown) => e instanceof ToolError && e.code === 'API_AUTH' && /was not found/.test(e.message) && e.hint === 'brew install kubelogin');
    } finally {
      await missing.close();
    }
  });
});

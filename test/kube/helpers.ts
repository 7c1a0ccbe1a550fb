import type { Resource } from '../../src/resource/resource.ts';
import { createKubeClient, type KubeClient, type KubeClientOptions } from '../../src/kube/client.ts';
import { loadKubeConfig } from '../../src/kube/kubeconfig.ts';
import { after, before } from 'node:test';
import { startKubeApiServer, type KubeApiServer, type KubeconfigSpec } from './api-server.ts';

/** Small backoff so resilience tests stay fast. */
export const FAST_RETRY = { baseDelayMs: 5, maxDelayMs: 20, timeoutMs: 2_000, maxRetryAfterMs: 5_000 } as const;

export function clientFor(server: KubeApiServer, spec: KubeconfigSpec = { auth: 'token' }, opts: KubeClientOptions = {}): KubeClient {
  const config = loadKubeConfig({ kubeconfig: server.writeKubeconfig(spec), env: {}, homeDir: '/nonexistent' });
  return createKubeClient(config, { retry: FAST_RETRY, ...opts });
}

export function vs(name: string, hosts: string[], weights: [string, number][], extra: Record<string, unknown> = {}): Resource {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name, namespace: 'shop', labels: { 'app.kubernetes.io/managed-by': 'cfmesh' } },
    spec: {
      hosts,
      gateways: ['cloudfoundry-ingress'],
      http: [{ route: weights.map(([host, weight]) => ({ destination: { host }, weight })) }],
      ...extra,
    },
  };
}

export function gateway(name: string): Resource {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'Gateway',
    metadata: { name, namespace: 'shop', labels: { 'app.kubernetes.io/managed-by': 'cfmesh' } },
    spec: { selector: { istio: 'ingressgateway' }, servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*'] }] },
  };
}

/**
 * The test server and a client for one `describe`: started before its tests, closed after them.
 * `k.server` and `k.client` are valid inside the tests.
 */
export function useKubeServer(clientOptions: KubeClientOptions = {}): { readonly server: KubeApiServer; readonly client: KubeClient } {
  let server: KubeApiServer | undefined;
  let client: KubeClient | undefined;
  before(async () => {
    const started = await startKubeApiServer();
    server = started;
    client = clientFor(started, { auth: 'token' }, clientOptions);
  });
  after(async () => {
    await client?.close();
    await server?.close();
  });
  return {
    get server() {
      if (!server) throw new Error('useKubeServer: the server is started in before()');
      return server;
    },
    get client() {
      if (!client) throw new Error('useKubeServer: the client is created in before()');
      return client;
    },
  };
}

// What runs in the cluster when a manifest is deployed the way cfmesh documents it. The Istio model
// resolves destinations against this inventory; the gorouter model gets the same instances from
// Cloud Controller (cloud-controller.ts `webInstances`), so both see the same running workload.
import { cfView, DEFAULT_APP_PORT, webInstances } from './cloud-controller.ts';
import type { ManifestDesc } from './manifest-desc.ts';

export type Labels = Readonly<Record<string, string>>;

export interface KubeService {
  readonly name: string;
  readonly namespace: string;
  /** `name.namespace.svc.cluster.local`. */
  readonly host: string;
  readonly ports: ReadonlySet<number>;
  readonly selector: Labels;
}

/** `count` pods of one app, all with the same labels, listening on `ports`. */
export interface PodGroup {
  readonly app: string;
  readonly namespace: string;
  readonly labels: Labels;
  readonly count: number;
}

/** The ingress gateway workload (the pods Gateway selectors and AuthorizationPolicies are matched against). */
export interface GatewayWorkload {
  readonly namespace: string;
  readonly labels: Labels;
  /** Service port → container (target) port of the gateway's Service; undefined: not exposed. */
  readonly targetPort: (servicePort: number) => number | undefined;
}

/** Instances of an app registered under a DNS name outside the cluster (a Consul-style registry). */
export interface DnsRecord {
  readonly app: string;
  readonly port: number;
  readonly count: number;
}

export interface Inventory {
  readonly services: ReadonlyMap<string, KubeService>;
  /** Host names that DNS resolves to an app's instances (one A record per instance). */
  readonly dns: ReadonlyMap<string, DnsRecord>;
  readonly pods: readonly PodGroup[];
  readonly gateway: GatewayWorkload;
  /** Istio's root namespace (meshConfig.rootNamespace, default istio-system). */
  readonly rootNamespace: string;
}

export interface DeploymentOptions {
  readonly namespace?: string;
  /** cfmesh's `--service-host-template` (default `{app}.{namespace}.svc.cluster.local`). */
  readonly serviceHostTemplate?: string;
  /** Labels of the gateway pods: `istio: ingressgateway` is istioctl's default profile. */
  readonly gatewayLabels?: Labels;
  readonly gatewayNamespace?: string;
}

/**
 * Ports the gateway proxy itself listens on (Istio's reserved ports, docs "Ports used by Istio"
 * and issue 11 item 6): a Gateway server there never gets a working listener.
 */
export const ISTIO_PROXY_PORTS: ReadonlySet<number> = new Set([15000, 15001, 15004, 15006, 15008, 15009, 15020, 15021, 15053, 15090]);

/**
 * THE deployment convention, in one place (README "What a manifest means", docs/traffic.md
 * "Services and versions", src/istio/targets.ts):
 * - one Kubernetes Service per app, or per `service:` when apps name one, named by the host
 *   template with `{app}`/`{service}` = the service name (the app's name without `service:`) and
 *   `{namespace}`; it exists only when the template yields a cluster host
 *   `NAME.NAMESPACE.svc.cluster.local`; a host outside the cluster (`{app}.service.consul`) is
 *   instead a name in that registry's DNS, resolving to the app's instances, and no Service: only a
 *   ServiceEntry can make Istio route there;
 * - the Service selects the pods labelled `app: <service name>`; an app's pods also carry
 *   `version: <version>` when the app has a `version`;
 * - an app runs its web instances as pods (CC's count, `webInstances`);
 * - the Service exposes the app's `port` (default 8080) and every other port a route destination
 *   sends to for an app behind it (cf destination `port`), each with targetPort = port;
 * - the ingress gateway pods run in istio-system with istioctl's default labels; its Service maps
 *   80 → 8080 and 443 → 8443 (the istio/gateway chart and istioctl defaults) and exposes every
 *   other port 1:1, except the proxy's own ports.
 * Apps' names are DNS labels (the generator writes only those), so Service names equal them.
 */
export function deploymentInventory(desc: ManifestDesc, options: DeploymentOptions = {}): Inventory {
  const namespace = options.namespace ?? 'default';
  const template = options.serviceHostTemplate ?? '{app}.{namespace}.svc.cluster.local';
  const view = cfView(desc);
  const services = new Map<string, { name: string; namespace: string; host: string; ports: Set<number>; selector: Labels }>();
  const pods: PodGroup[] = [];
  const dns = new Map<string, DnsRecord>();
  const destinationPorts = new Map<string, Set<number>>();
  for (const r of view.routes) for (const d of r.destinations) destinationPorts.set(d.app, (destinationPorts.get(d.app) ?? new Set()).add(d.port));
  for (const app of desc.apps) {
    const serviceName = app.service ?? app.name;
    const labels: Record<string, string> = { app: serviceName };
    if (app.version !== undefined) labels['version'] = app.version;
    pods.push({ app: app.name, namespace, labels, count: webInstances(app) });
    const host = template.replace(/\{(app|service)\}/g, serviceName).replace(/\{namespace\}/g, namespace).replace(/\{version\}/g, app.version ?? serviceName).toLowerCase();
    const m = /^([a-z0-9-]+)\.([a-z0-9-]+)\.svc\.cluster\.local$/.exec(host);
    if (!m) {
      if (dns.has(host)) throw new Error(`inventory: two apps behind DNS name ${host} (not modelled)`);
      dns.set(host, { app: app.name, port: app.port ?? DEFAULT_APP_PORT, count: webInstances(app) });
      continue;
    }
    let svc = services.get(host);
    if (!svc) {
      svc = { name: m[1] as string, namespace: m[2] as string, host, ports: new Set(), selector: { app: serviceName } };
      services.set(host, svc);
    }
    svc.ports.add(app.port ?? DEFAULT_APP_PORT);
    for (const p of destinationPorts.get(app.name) ?? []) svc.ports.add(p);
  }
  const gateway: GatewayWorkload = {
    namespace: options.gatewayNamespace ?? 'istio-system',
    labels: options.gatewayLabels ?? { istio: 'ingressgateway', app: 'istio-ingressgateway' },
    targetPort: (port) => (port === 80 ? 8080 : port === 443 ? 8443 : ISTIO_PROXY_PORTS.has(port) ? undefined : port),
  };
  return { services, dns, pods, gateway, rootNamespace: 'istio-system' };
}

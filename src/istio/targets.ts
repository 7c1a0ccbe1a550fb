import { ToolError } from '../diagnostics/tool-error.ts';
import type { AppInfo, RouteTable } from '../routing/route-table.ts';
import { dnsLabel } from './names.ts';
import type { IstioOptions } from './options.ts';

/**
 * Where an app's traffic goes in the mesh. A plain app is its own host. Apps that name a `service`
 * (or a `version`) share the service's host and are told apart by a DestinationRule subset named
 * after the version, selecting pods labelled `version: <version>`.
 */
export interface AppTarget {
  readonly host: string;
  readonly service: string;
  readonly version?: string | undefined;
}

export function appTarget(app: string, info: AppInfo | undefined, options: IstioOptions): AppTarget {
  // Asked for again and again (per route, per destination, per rule, both sides of a change): made
  // once per app, service and version for these options. The route table's AppInfo objects are
  // never changed after it is built, so the target is kept on the object itself, under a
  // non-enumerable symbol (invisible to Object.keys, JSON and deepStrictEqual), for the options it
  // was made for (a string key built per call was a tenth of a 40,000-app translation, and a
  // WeakMap keyed by the AppInfo still ~0.3 µs a call); any other call takes the string key.
  const own = info !== undefined && info.name === app;
  if (own) {
    const hit = (info as unknown as Record<symbol, KeptTarget | undefined>)[KEPT];
    if (hit !== undefined && hit.options === options && hit.service === info.service && hit.version === info.version) return hit.target;
  }
  let known = TARGETS.get(options);
  if (!known) TARGETS.set(options, (known = new Map()));
  const key = `${app}\0${info?.service === undefined ? '\u0001' : `s${info.service}`}\0${info?.version === undefined ? '\u0001' : `v${info.version}`}`;
  let target = known.get(key);
  if (!target) known.set(key, (target = makeAppTarget(app, info, options)));
  if (own && Object.isExtensible(info)) {
    const kept: KeptTarget = { options, service: info.service, version: info.version, target };
    Object.defineProperty(info, KEPT, { value: kept, writable: true, configurable: true, enumerable: false });
  }
  return target;
}

interface KeptTarget {
  readonly options: IstioOptions;
  readonly service: string | undefined;
  readonly version: string | undefined;
  readonly target: AppTarget;
}

const KEPT = Symbol('cfmesh.app-target');
const TARGETS = new WeakMap<IstioOptions, Map<string, AppTarget>>();

function makeAppTarget(app: string, info: AppInfo | undefined, options: IstioOptions): AppTarget {
  const version = info?.version;
  const service = info?.service ?? dnsLabel(app);
  const host = serviceHost(service, options, { service, version: version ?? service });
  return version !== undefined ? { host, service, version } : { host, service };
}

/**
 * The mesh host for an app or service, from the template (default `{app}.{namespace}.svc.cluster.local`;
 * `{app}.service.consul` for Consul). `{app}` and `{service}` are the service name (the app's name
 * when it names no service); `{version}` is the app's version, or the service name without one.
 */
export function serviceHost(app: string, options: IstioOptions, extra: Readonly<Record<string, string>> = {}): string {
  const label = dnsLabel(app);
  const values: Record<string, string> = { app: label, namespace: options.namespace, service: label, version: label, ...extra };
  // The template's `{name}` placeholders, found once per template: a name with no value stays as written.
  const parts = templateParts(options.serviceHostTemplate);
  let out = parts[0] as string;
  for (let i = 1; i < parts.length; i += 2) {
    const name = parts[i] as string;
    out += `${values[name] ?? `{${name}}`}${parts[i + 1] as string}`;
  }
  return out.toLowerCase();
}

/** A template as [text, name, text, name, ..., text]: its `{name}` placeholders between the texts. */
function templateParts(template: string): readonly string[] {
  let parts = TEMPLATE_PARTS.get(template);
  if (parts === undefined) {
    const found: string[] = [];
    let last = 0;
    for (const m of template.matchAll(/\{(\w+)\}/g)) {
      found.push(template.slice(last, m.index), m[1] as string);
      last = m.index + m[0].length;
    }
    found.push(template.slice(last));
    TEMPLATE_PARTS.set(template, (parts = found));
  }
  return parts;
}

const TEMPLATE_PARTS = new Map<string, readonly string[]>();

/** The app's port: its `port`, else the default (8080). */
export function appPort(info: AppInfo | undefined, options: IstioOptions): number {
  return info?.port ?? options.defaultPort;
}

/**
 * Whether Istio's Kubernetes registry can know the host: a Service name `NAME.NAMESPACE.svc[.DOMAIN]`.
 * Any other host (`{app}.service.consul`) is in no registry Istio has (its Consul registry was removed
 * in 1.8) and needs a ServiceEntry (service-entries.ts).
 */
export function isKubernetesServiceHost(host: string): boolean {
  return /^[a-z0-9]([-a-z0-9]*[a-z0-9])?\.[a-z0-9]([-a-z0-9]*[a-z0-9])?\.svc(\.|$)/.test(host);
}

/**
 * One host, one workload set: apps sharing a host must all be versions of it (told apart by subsets).
 * An app whose own host is another app's `service:` host would otherwise silently share its pods.
 * Versions on a host outside the cluster need labelled endpoints, or their subsets select nothing.
 */
export function checkHosts(table: RouteTable, apps: ReadonlyMap<string, AppInfo>, options: IstioOptions): ToolError[] {
  const errors: ToolError[] = [];
  const byHost = new Map<string, AppInfo[]>();
  for (const info of table.apps) {
    const host = appTarget(info.name, info, options).host;
    const list = byHost.get(host);
    if (list) list.push(info);
    else byHost.set(host, [info]);
  }
  for (const [host, list] of byHost) {
    if (list.length > 1) {
      const plain = list.find((a) => appTarget(a.name, a, options).version === undefined);
      if (plain) {
        const other = list.find((a) => a !== plain) as AppInfo;
        errors.push(
          new ToolError('ROUTE_CONFLICT', `app "${plain.name}" has the mesh host ${host}, which app "${other.name}" uses too: they would share one set of pods`, {
            span: plain.span,
            hint: 'rename the app, or make both versions of one service (`service:` and distinct `version:`)',
          }),
        );
      }
    }
    const versions = new Map<string, string>();
    for (const info of list) {
      const version = appTarget(info.name, info, options).version;
      if (version === undefined) continue;
      const earlier = versions.get(version);
      if (earlier !== undefined) errors.push(new ToolError('ROUTE_CONFLICT', `apps "${earlier}" and "${info.name}" are both version "${version}" on the mesh host ${host}`, { span: info.span, hint: 'give each version of a host a distinct `version:`' }));
      else versions.set(version, info.name);
    }
    if (isKubernetesServiceHost(host)) continue;
    for (const info of list) {
      const version = appTarget(info.name, info, options).version;
      if (version !== undefined && info.endpoints === undefined && apps.has(info.name)) {
        errors.push(
          new ToolError('ROUTE_CONFLICT', `app "${info.name}" is version "${version}" on host ${host}, which is outside the cluster's Service registry: its subset needs endpoints labelled with the version, and DNS gives none`, {
            span: info.span,
            hint: 'list the app\'s `endpoints:` (they get the version label), or use a Kubernetes service host template',
          }),
        );
      }
    }
  }
  return errors;
}

// A small structured description of a cf manifest (apps, their routes, cfmesh's top-level weighted
// routes and per-route controls) and of one request. The generator builds these, `renderManifest`
// turns one into manifest YAML for cfmesh, and both routing models read the description itself, so
// the models never depend on cfmesh's parser.
import { stringify } from 'yaml';

export type StringMatchDesc = { readonly exact: string } | { readonly prefix: string } | { readonly regex: string };

export interface RuleDesc {
  readonly match: {
    readonly headers?: Readonly<Record<string, StringMatchDesc>>;
    readonly method?: StringMatchDesc;
    readonly queryParams?: Readonly<Record<string, StringMatchDesc>>;
  };
  readonly destinations: readonly { readonly name: string; readonly weight?: number }[];
}

export interface ControlsDesc {
  readonly methods?: readonly string[];
  readonly tls?: { readonly credentialName: string; readonly httpsRedirect: boolean };
  readonly rules?: readonly RuleDesc[];
}

export interface AppRouteDesc {
  /** As written in the manifest: `[scheme://]host.domain[:port][/path]`. */
  readonly route: string;
  readonly protocol?: 'http1' | 'http2' | 'tcp';
  readonly controls?: ControlsDesc;
  readonly loadbalancing?: 'round-robin' | 'least-connection';
}

export interface ProcessDesc {
  readonly type: string;
  readonly instances?: number;
}

export interface AppDesc {
  /** A DNS-1123 label, so that cfmesh's Service name for it is the name itself (see inventory.ts). */
  readonly name: string;
  readonly instances?: number;
  readonly processes?: readonly ProcessDesc[];
  readonly port?: number;
  readonly service?: string;
  readonly version?: string;
  readonly noRoute?: boolean;
  readonly routes?: readonly AppRouteDesc[];
}

export interface DestinationDesc {
  readonly name: string;
  readonly weight?: number;
  readonly port?: number;
}

export interface TopRouteDesc extends AppRouteDesc {
  readonly destinations: readonly DestinationDesc[];
}

export interface ManifestDesc {
  readonly apps: readonly AppDesc[];
  readonly routes: readonly TopRouteDesc[];
  /** `--default-domain`: apps without a route get `<name>.<domain>` (cf's default route). */
  readonly defaultDomain?: string;
}

/** A plain-HTTP request to the platform's port 80, or a TCP connection to a gateway port. */
export type RequestDesc = HttpRequestDesc | TcpRequestDesc;

export interface HttpRequestDesc {
  readonly kind: 'http';
  readonly method: string;
  /** The Host header as sent, perhaps with a port (`API.example.com:8080`). */
  readonly host: string;
  /** The request-target as sent (origin form): escaped path plus an optional `?query`. */
  readonly target: string;
  /** Extra request headers, names in lower case. */
  readonly headers: Readonly<Record<string, string>>;
  /** `https`: over TLS to the gateway's port 443, SNI = the Host header's host. Default `http` (port 80). */
  readonly scheme?: 'http' | 'https' | undefined;
}

export interface TcpRequestDesc {
  readonly kind: 'tcp';
  readonly port: number;
}

export function describeRequest(r: RequestDesc): string {
  if (r.kind === 'tcp') return `TCP connection to gateway port ${r.port}`;
  const headers = Object.entries(r.headers).map(([k, v]) => `  ${k}: ${v}`);
  return [`${r.scheme === 'https' ? '(over TLS) ' : ''}${r.method} ${r.target} HTTP/1.1`, `  host: ${r.host}`, ...headers].join('\n');
}

function controlsYaml(controls: ControlsDesc | undefined, out: Record<string, unknown>): void {
  if (!controls) return;
  if (controls.methods) out['methods'] = [...controls.methods];
  if (controls.tls) out['tls'] = { 'credential-name': controls.tls.credentialName, 'https-redirect': controls.tls.httpsRedirect };
  if (controls.rules) {
    out['rules'] = controls.rules.map((rule) => {
      const match: Record<string, unknown> = {};
      if (rule.match.headers) match['headers'] = { ...rule.match.headers };
      if (rule.match.method) match['method'] = { ...rule.match.method };
      if (rule.match.queryParams) match['query-params'] = { ...rule.match.queryParams };
      return { match, destinations: rule.destinations.map((d) => ({ ...d })) };
    });
  }
}

function routeYaml(r: AppRouteDesc): Record<string, unknown> {
  const out: Record<string, unknown> = { route: r.route };
  if (r.protocol) out['protocol'] = r.protocol;
  if (r.loadbalancing) out['options'] = { loadbalancing: r.loadbalancing };
  controlsYaml(r.controls, out);
  return out;
}

/** The description as cf manifest YAML (the cf CLI v7/v8 format plus cfmesh's extension). */
export function renderManifest(desc: ManifestDesc): string {
  const applications = desc.apps.map((a) => {
    const out: Record<string, unknown> = { name: a.name };
    if (a.instances !== undefined) out['instances'] = a.instances;
    if (a.processes) out['processes'] = a.processes.map((p) => ({ ...p }));
    if (a.port !== undefined) out['port'] = a.port;
    if (a.service !== undefined) out['service'] = a.service;
    if (a.version !== undefined) out['version'] = a.version;
    if (a.noRoute) out['no-route'] = true;
    if (a.routes && a.routes.length > 0) out['routes'] = a.routes.map(routeYaml);
    return out;
  });
  const doc: Record<string, unknown> = { applications };
  if (desc.routes.length > 0) {
    doc['routes'] = desc.routes.map((r) => ({ ...routeYaml(r), destinations: r.destinations.map((d) => ({ ...d })) }));
  }
  return stringify(doc, { lineWidth: 0, aliasDuplicateObjects: false });
}

import type { SourceSpan } from '../diagnostics/source-file.ts';
import type { AppExtensions, LoadBalancing, RouteControls } from './traffic.ts';

export type Protocol = 'http1' | 'http2' | 'tcp';
export type AppProtocol = 'http1' | 'http2';

/** A cf route string taken apart: `[scheme://]host.domain[:port][/path]`. The FQDN is lowercased. */
export interface RouteAddress {
  readonly fqdn: string;
  readonly path?: string | undefined;
  readonly port?: number | undefined;
  /** A TCP route written without a port (`protocol: tcp`): the port is allocated later (routing/tcp-ports.ts). */
  readonly tcp?: boolean | undefined;
}

/** An app named by a route's rules or mirror (checked to exist, like destinations). */
export interface AppReference {
  readonly app: string;
  readonly span: SourceSpan | undefined;
  /** What names it: `mirror`, `rule 2 destination`. */
  readonly role: string;
  readonly route: string;
}

/**
 * cfmesh's control keys of a route entry (timeout, retries, fault, mirror, methods, tls, rules) in the
 * manifest's own shape: what the state stores (and update-route's flags edit). Everything else reads
 * them parsed, as RouteControls (traffic.ts, parsed by controls.ts).
 */
export type ManifestControls = Readonly<Record<string, unknown>>;

/**
 * Keys of a route entry that neither cf nor cfmesh knows, kept as written. Cloud Controller reads only
 * `route`, `protocol` and `options` of an entry and ignores the rest (manifest_routes_update_message.rb
 * at CAPI 1.235.0), so these never affect routing and never make two mappings of one route conflict.
 */
export type RouteExtra = Readonly<Record<string, unknown>>;

export interface AppRoute {
  readonly address: RouteAddress;
  readonly protocol: Protocol;
  /** cf's route `options`, parsed (controls.ts parseLoadBalancing); undefined when they set none. */
  readonly loadBalancing: LoadBalancing | undefined;
  readonly controls: RouteControls;
  readonly extra: RouteExtra;
  readonly references?: readonly AppReference[] | undefined;
  /** The route as written (`Shop.Example.com/Docs/`), before it was made canonical. */
  readonly written?: string | undefined;
  readonly span: SourceSpan;
}

export interface ManifestApp {
  readonly name: string;
  readonly span: SourceSpan;
  /** Web instances: a `web` process's `instances` wins over the app's; 1 when not given. */
  readonly instances: number;
  readonly port: number | undefined;
  /** Cloud Controller's `no_route` as `cf push` v8 sends it (`no-route: true` or `no_route: true`). */
  readonly noRoute: boolean;
  /** Cloud Controller's `random_route` as `cf push` v8 sends it. */
  readonly randomRoute: boolean;
  /**
   * Cloud Controller's `default_route` as `cf push` v8 sends it: the CLI sets it to true for every app
   * without `random-route`/`no-route` (handle_default_route_override.go), so `default-route: false` has no
   * effect (warned); only the underscore spelling `default_route: false`, which the CLI passes through
   * unchanged and Cloud Controller reads last, turns it off. Undefined: not sent (random-route or no-route).
   */
  readonly defaultRoute: boolean | undefined;
  /** The app map has a `routes:` key (even `routes: []`): cf then maps exactly those routes, no default or random one. */
  readonly hasRoutesKey: boolean;
  readonly routes: readonly AppRoute[];
  /** cfmesh's extension keys of the app, parsed. */
  readonly extensions: AppExtensions;
  /** The app's map as written (after vars), every key kept, known or not (what the state keeps). */
  readonly data: Readonly<Record<string, unknown>>;
}

export interface DestinationSpec {
  readonly app: string;
  readonly weight: number | undefined;
  /** Where `weight` is written (undefined when it is not). */
  readonly weightSpan?: SourceSpan | undefined;
  readonly port: number | undefined;
  readonly protocol: AppProtocol | undefined;
  readonly span: SourceSpan;
}

/** A top-level `routes:` entry of the weighted-routing extension. */
export interface WeightedRouteSpec {
  readonly address: RouteAddress;
  readonly protocol: Protocol;
  readonly loadBalancing: LoadBalancing | undefined;
  readonly controls: RouteControls;
  readonly extra: RouteExtra;
  readonly references?: readonly AppReference[] | undefined;
  readonly destinations: readonly DestinationSpec[];
  /** The route as written (`Shop.Example.com/Docs/`), before it was made canonical. */
  readonly written?: string | undefined;
  readonly span: SourceSpan;
}

export interface Manifest {
  readonly apps: readonly ManifestApp[];
  readonly routes: readonly WeightedRouteSpec[];
}

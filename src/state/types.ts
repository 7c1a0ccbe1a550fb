/**
 * The embedded local state: what "the platform" looks like when no cluster is targeted.
 *
 * Plain JSON data only (no Maps, Dates or class instances), so that the file format is the
 * in-memory shape. Everything is readonly: state operations (written elsewhere) are pure
 * functions `State -> State` that return new objects. "Not given" is `undefined` (and is
 * omitted from the file).
 */

/** The only format version this build writes; see format.ts for reading and migrating. */
export const STATE_VERSION = 1;
export type StateVersion = typeof STATE_VERSION;

export type JsonPrimitive = null | boolean | number | string;
export type JsonValue = JsonPrimitive | readonly JsonValue[] | JsonObject;
export interface JsonObject {
  readonly [key: string]: JsonValue;
}

export interface AppRecord {
  readonly name: string;
  readonly instances: number;
  /** The container port the app listens on. */
  readonly port?: number | undefined;
  /** The in-mesh service host destinations resolve to (e.g. `app.ns.svc.cluster.local`). */
  readonly serviceHost?: string | undefined;
  /** Version label, used as the Istio subset name. */
  readonly version?: string | undefined;
  /** Free-form manifest data kept as given (env, buildpacks, ...). */
  readonly extra?: JsonObject | undefined;
}

export type RouteProtocol = 'http1' | 'http2' | 'tcp';

export interface RouteDestination {
  readonly app: string;
  /** Share of traffic; `undefined` = unweighted (an equal share, as cf map-route without --weight). */
  readonly weight?: number | undefined;
  readonly port?: number | undefined;
  readonly protocol?: RouteProtocol | undefined;
}

export interface RouteRecord {
  /** Fully qualified host name: `host.domain`, or `domain` for an apex or TCP route. */
  readonly fqdn: string;
  readonly host?: string | undefined;
  readonly domain: string;
  /** HTTP routes: a path beginning with `/`. */
  readonly path?: string | undefined;
  /** TCP routes: the port on the domain. */
  readonly port?: number | undefined;
  readonly protocol: RouteProtocol;
  /** cf route options (`loadbalancing: least-connection`, ...). */
  readonly options: Readonly<Record<string, string>>;
  readonly destinations: readonly RouteDestination[];
  /** Free-form per-route controls kept as data (timeout, retries, ...). */
  readonly controls?: JsonObject | undefined;
}

export interface Settings {
  readonly defaultDomain?: string | undefined;
  readonly internalDomains?: readonly string[] | undefined;
  readonly gateway?: string | undefined;
  readonly namespace?: string | undefined;
  readonly istioApiVersion?: string | undefined;
  /** `--api` (istio or gateway-api) and `--gateway-class`, kept by `cfmesh target`. */
  readonly api?: string | undefined;
  readonly gatewayClass?: string | undefined;
  /** Destination host template per app (`{app}.{namespace}.svc.cluster.local` by default). */
  readonly serviceHostTemplate?: string | undefined;
  /** A directory (absolute) that state-changing commands keep in sync with the whole state. */
  readonly output?: string | undefined;
  readonly target?: string | undefined;
  /** Kubeconfig file and context kept by `target kubernetes` (flags win). */
  readonly kubeconfig?: string | undefined;
  readonly context?: string | undefined;
  /** Room for more settings before they earn a field of their own. */
  readonly extra?: JsonObject | undefined;
}

export interface State {
  readonly version: StateVersion;
  /** App name -> app. */
  readonly apps: Readonly<Record<string, AppRecord>>;
  /** `routeKey(route)` -> route. The key is the route's identity (see format.ts `routeKey`). */
  readonly routes: Readonly<Record<string, RouteRecord>>;
  /** Stable random-route hosts handed out: app name -> host. */
  readonly randomRouteHosts: Readonly<Record<string, string>>;
  /** TCP ports handed out: route key -> port. */
  readonly tcpPorts: Readonly<Record<string, number>>;
  readonly settings: Settings;
}

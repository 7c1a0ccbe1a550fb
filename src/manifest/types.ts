import type { SourceSpan } from '../diagnostics/source-file.ts';

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
  readonly span: SourceSpan;
  /** What names it: `mirror`, `rule 2 destination`. */
  readonly role: string;
  readonly route: string;
}

/** Per-route traffic controls of the manifest extension, kept as written (translated by istio/). */
export type RouteControls = Readonly<Record<string, unknown>>;

export interface AppRoute {
  readonly address: RouteAddress;
  readonly protocol: Protocol;
  readonly options: Readonly<Record<string, string>>;
  readonly controls: RouteControls;
  readonly references?: readonly AppReference[] | undefined;
  readonly span: SourceSpan;
}

export interface ManifestApp {
  readonly name: string;
  readonly span: SourceSpan;
  /** Web instances: a `web` process's `instances` wins over the app's; 1 when not given. */
  readonly instances: number;
  readonly port: number | undefined;
  readonly noRoute: boolean;
  readonly randomRoute: boolean;
  /** `default-route` as written; undefined means cf's default (a default route when the app has none). */
  readonly defaultRoute: boolean | undefined;
  readonly routes: readonly AppRoute[];
  /** The app's map as written (after vars), every key kept, known or not. */
  readonly data: Readonly<Record<string, unknown>>;
}

export interface DestinationSpec {
  readonly app: string;
  readonly weight: number | undefined;
  readonly port: number | undefined;
  readonly protocol: AppProtocol | undefined;
  readonly span: SourceSpan;
}

/** A top-level `routes:` entry of the weighted-routing extension. */
export interface WeightedRouteSpec {
  readonly address: RouteAddress;
  readonly protocol: Protocol;
  readonly options: Readonly<Record<string, string>>;
  readonly controls: RouteControls;
  readonly references?: readonly AppReference[] | undefined;
  readonly destinations: readonly DestinationSpec[];
  readonly span: SourceSpan;
}

export interface Manifest {
  readonly apps: readonly ManifestApp[];
  readonly routes: readonly WeightedRouteSpec[];
}

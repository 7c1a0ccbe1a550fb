import type { SourceSpan } from '../diagnostics/source-file.ts';

/**
 * The traffic extension as typed values: what a route or an app asks of the traffic, parsed once
 * from the manifest (or from the state, which keeps the manifest's shape) by controls.ts, and read by
 * every target. Durations are whole milliseconds; "not given" is undefined, never a default (a default
 * is the target's choice: Istio's 2 retry attempts, 100 percent of requests). No target reads a
 * manifest key; a new feature is one field here, one branch of the parser and one in each target.
 */

/** A condition on a string (a header, a query parameter, the method, the path). */
export type StringMatch =
  | { readonly type: 'exact'; readonly value: string }
  | { readonly type: 'prefix'; readonly value: string }
  | { readonly type: 'regex'; readonly value: string };

export interface NamedMatch {
  /** As written: header names are case-insensitive, and a target lowercases them as it needs. */
  readonly name: string;
  readonly match: StringMatch;
}

/** What a request must match for a rule to take it: every given condition. */
export interface RequestMatch {
  /** In the order written. */
  readonly headers: readonly NamedMatch[];
  readonly queryParams: readonly NamedMatch[];
  readonly method?: StringMatch | undefined;
  readonly path?: StringMatch | undefined;
}

export interface RetryPolicy {
  /** Retries after the first try; undefined: the target's default. 0 turns retries off. */
  readonly attempts?: number | undefined;
  readonly perTryTimeoutMs?: number | undefined;
  /** Conditions, each a known token or an HTTP status code (controls.ts checks them). */
  readonly retryOn?: readonly string[] | undefined;
}

export interface FaultDelay {
  readonly fixedMs: number;
  /** Share of requests, 0 to 100; undefined: all. */
  readonly percent?: number | undefined;
}

export interface FaultAbort {
  readonly httpStatus: number;
  readonly percent?: number | undefined;
}

export interface FaultInjection {
  readonly delay?: FaultDelay | undefined;
  readonly abort?: FaultAbort | undefined;
}

export interface Mirror {
  readonly app: string;
  /** Share of requests copied, 0 to 100; undefined: all. */
  readonly percent?: number | undefined;
}

export interface TlsSettings {
  /** The Secret holding the certificate and key. */
  readonly credentialName: string;
  readonly httpsRedirect: boolean;
}

/** The per-request controls a route and each of its rules may set. */
export interface RequestControls {
  readonly timeoutMs?: number | undefined;
  readonly retries?: RetryPolicy | undefined;
  readonly fault?: FaultInjection | undefined;
}

export interface RuleDestination {
  readonly app: string;
  /** Percent of the rule's traffic (all of a rule's destinations have one, or none). */
  readonly weight?: number | undefined;
}

/** A match rule of a route: requests that match go to its destinations (rules are tried in order). */
export interface MatchRule extends RequestControls {
  readonly match: RequestMatch;
  readonly destinations: readonly RuleDestination[];
  /** Where the rule is written (undefined when it comes from the state). */
  readonly span?: SourceSpan | undefined;
}

/** The controls of one route (cfmesh's extension keys of a route entry). */
export interface RouteControls extends RequestControls {
  readonly mirror?: Mirror | undefined;
  /** Methods the route accepts, as written. */
  readonly methods?: readonly string[] | undefined;
  readonly tls?: TlsSettings | undefined;
  readonly rules?: readonly MatchRule[] | undefined;
  /** Where each control is written, for a target that must refuse one at its position. */
  readonly spans?: ControlSpans | undefined;
}

/** The controls a route can have, by the manifest key that sets them. */
export const CONTROL_KEYS = ['timeout', 'retries', 'fault', 'mirror', 'methods', 'tls', 'rules'] as const;
export type ControlKey = (typeof CONTROL_KEYS)[number];
export type ControlSpans = Readonly<Partial<Record<ControlKey, SourceSpan>>>;

export const NO_CONTROLS: RouteControls = {};

/** cf's `loadbalancing` route option (Cloud Controller route_options_message.rb). */
export type LoadBalancingAlgorithm = 'round-robin' | 'least-connection' | 'hash';

/**
 * cf's per-route load-balancing options. Cloud Controller accepts and keeps the hash options without
 * `loadbalancing` (they then do nothing in gorouter), so each is its own field.
 */
export interface LoadBalancing {
  readonly algorithm?: LoadBalancingAlgorithm | undefined;
  readonly hashHeader?: string | undefined;
  /** 0 (no bound), or 1.1 to 10. */
  readonly hashBalance?: number | undefined;
}

export interface CircuitBreaker {
  readonly maxConnections?: number | undefined;
  readonly maxPendingRequests?: number | undefined;
  readonly maxRequestsPerConnection?: number | undefined;
  readonly consecutiveErrors?: number | undefined;
  readonly intervalMs?: number | undefined;
  readonly baseEjectionTimeMs?: number | undefined;
  readonly maxEjectionPercent?: number | undefined;
}

/** An address of a workload outside Kubernetes (`ip-or-host[:port]`). */
export interface Endpoint {
  /** Lowercased for IPv6 and host names. */
  readonly address: string;
  readonly port?: number | undefined;
  /** An IP address (else a host name, resolved by DNS). */
  readonly ip: boolean;
}

/** cfmesh's extension keys of an app. */
export interface AppExtensions {
  /** The service this app is a version of. */
  readonly service?: string | undefined;
  readonly version?: string | undefined;
  readonly circuitBreaker?: CircuitBreaker | undefined;
  /** Present (possibly empty) when the app lists `endpoints:`: it runs outside Kubernetes. */
  readonly endpoints?: readonly Endpoint[] | undefined;
}

/** The request controls that apply to a rule: its own, else its route's, field by field (docs/traffic.md). */
export function ruleControls(route: RouteControls, rule: MatchRule): RequestControls {
  return {
    timeoutMs: rule.timeoutMs ?? route.timeoutMs,
    retries: rule.retries ?? route.retries,
    fault: rule.fault ?? route.fault,
  };
}

/** Every app a route's controls send traffic to besides its destinations: its mirror, its rules' destinations. */
export function controlledApps(controls: RouteControls): string[] {
  const out: string[] = [];
  if (controls.mirror) out.push(controls.mirror.app);
  for (const rule of controls.rules ?? []) for (const d of rule.destinations) out.push(d.app);
  return out;
}

/** Whether two controls ask for the same thing (neither the order of fields nor where they are written counts). */
export function sameControl(a: unknown, b: unknown): boolean {
  return JSON.stringify(a, canonicalField) === JSON.stringify(b, canonicalField);
}

function canonicalField(key: string, value: unknown): unknown {
  if (key === 'span' || key === 'spans') return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(value).sort()) out[k] = (value as Record<string, unknown>)[k];
  return out;
}

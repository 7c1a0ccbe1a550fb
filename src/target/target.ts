import type { Warning } from '../diagnostics/tool-error.ts';
import type { Resource } from '../resource/resource.ts';
import type { AppInfo, RouteTable } from '../routing/route-table.ts';
import type { LiveRoutes } from './live.ts';

/** What a target gives for a route table: its resources, in output order, and what the user should know. */
export interface Translation {
  readonly resources: readonly Resource[];
  readonly warnings: readonly Warning[];
}

/** A kind a target emits, at the API version it emits it. */
export interface EmittedKind {
  readonly apiVersion: string;
  readonly kind: string;
}

/**
 * One output API: the route table in, that API's resources out, and what the commands need to know
 * about those resources without knowing their kinds or how they are named. `istio` (istio/target.ts)
 * is the first; a target is built with its options and is pure. Everything outside a target's folder
 * goes through this interface (docs/adr/0014-route-model-and-targets.md).
 */
export interface Target {
  /** How messages name what it emits: `Istio` ("No Istio resource changed"). */
  readonly label: string;
  /**
   * `emit`, when given, is called with resources as soon as they are final (each also in the result,
   * the same object, never changed after), so a writer can start before the translation ends; a
   * target may call it for some resources or none.
   */
  translate(table: RouteTable, emit?: (resource: Resource) => void): Translation;
  /** Resources in this target's output order. */
  sort(resources: readonly Resource[]): Resource[];
  /** Every kind it may emit: what a whole-state `kubectl apply --prune` must be allowed to prune. */
  readonly kinds: readonly EmittedKind[];
  /** What to tell a user whose cluster does not serve what this target emits. */
  readonly crdHints: CrdHints;
  /** CRDs that must be of a release at least this recent (fields older ones would prune silently). */
  readonly crdVersions?: readonly CrdVersion[] | undefined;
  readonly changes: ChangeModel;
  readonly live: LiveRoutes;
}

/**
 * How a target's resources depend on the route table, for change sets (app/resource-changes.ts,
 * docs/adr/0009-state-lines.md "Change sets through queries"): some resources belong to a route host
 * (an FQDN), some to a service host shared by every app of a service, and the rest (the ingress) are
 * made from the routes that make listeners.
 */
export interface ChangeModel {
  /** The service an app's traffic belongs to, and its host: apps of one service share its resources. */
  placement(app: string, info: AppInfo | undefined): { readonly service: string; readonly host: string };
  /** Whether a service name may have been derived from an app name that was not one (then any app may give it). */
  derived(service: string): boolean;
  /** Whether a translation of every route of `fqdns` and of every app of the services of `hosts` built this resource whole. */
  builtWhole(resource: Resource, fqdns: ReadonlySet<string>, hosts: ReadonlySet<string>): boolean;
  /** The changed resources plus the unchanged ones they refer to, so that what is printed stands on its own. */
  withReferences(changed: readonly Resource[], context: readonly Resource[]): Resource[];
}

/** A CRD whose release, in one of its annotations, must be at least `atLeast` (`v1.4.0`). */
export interface CrdVersion {
  /** The CRD's name (`httproutes.gateway.networking.k8s.io`). */
  readonly crd: string;
  readonly group: string;
  readonly annotation: string;
  readonly atLeast: string;
  /** What the older release lacks, and what to install. */
  readonly hint: string;
}

/** Hints for a cluster that does not serve a target's kinds (their CRDs are not installed, or too old). */
export interface CrdHints {
  /** The API group is not served at all. */
  group(group: string): string;
  /** The group is served, but not the version emitted. */
  version(group: string, served: readonly string[]): string;
  /** The group and version are served, but not this kind. */
  kind(kind: string, group: string): string;
}

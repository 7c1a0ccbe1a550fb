import type { JsonPatchOp } from '../resource/resource.ts';
import type { EmittedKind } from './target.ts';

/**
 * The cluster as the state, target-neutral: the routes a target's live objects serve (cfmesh's and
 * other tools'), read back as cf routes, and the one change cfmesh makes to them in place, new weights.
 */

/** An object as the API server returns it, as far as a target reads it. */
export interface LiveObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string | undefined;
    readonly resourceVersion?: string | undefined;
    readonly labels?: Readonly<Record<string, string>> | undefined;
    readonly managedFields?: readonly { readonly manager?: string | undefined }[] | undefined;
  };
  readonly [key: string]: unknown;
}


export interface LiveDestination {
  readonly app: string;
  /** The version (subset) of the app's service the destination names. */
  readonly subset?: string | undefined;
  readonly port?: number | undefined;
  /** As the object holds it (undefined: none written). */
  readonly weight?: number | undefined;
  /** How the target finds this destination again in the object, for a weight patch. */
  readonly key: string;
}

export interface LiveRoute {
  readonly fqdn: string;
  readonly protocol: 'http' | 'tcp';
  readonly path?: string | undefined;
  /** A TCP route's port. */
  readonly port?: number | undefined;
  readonly destinations: readonly LiveDestination[];
  /** `cfmesh`, or the field managers of an object cfmesh does not manage. */
  readonly managedBy: string;
  /** The object that holds the route. */
  readonly object: { readonly apiVersion: string; readonly kind: string; readonly name: string };
  /** The target's handle on the route within its object. */
  readonly rule: string | number;
  /** cfmesh wrote this rule for this route (another tool's rule for the same path comes second). */
  readonly own: boolean;
}

export interface LiveRoutes {
  /** The collections that hold routes: each is listed to read them back. */
  readonly kinds: readonly EmittedKind[];
  /** HTTP routes first, then TCP routes, each in the order of the objects as listed. */
  read(objects: readonly LiveObject[]): LiveRoute[];
  /**
   * The operations that give `route`'s destinations (by key) their new weights, on the object as the
   * server holds it now; none when they have them. A route or destination no longer there is NOT_FOUND.
   */
  weightPatch(object: LiveObject, route: LiveRoute, weights: ReadonlyMap<string, number>): JsonPatchOp[];
}

// The common currency of the two routing models: where one request (or one TCP connection) ends up,
// as a distribution over targets. A target is an app instance group reached on a port
// (`app:reviews-v1:8080`) or a status the router answers itself (`status:404`), or `refused` for a
// TCP connection (or an HTTP request) that no listener takes. Shares sum to 1.
//
// Both models (gorouter-model.ts, istio-model.ts) return this shape so that conformance.test.ts can
// compare them: the same targets with a share > 0, each share within 1 percentage point.

export type Target = `app:${string}:${number}` | `status:${number}` | 'refused';

export interface Outcome {
  /** Target → share of the requests (0 < share ≤ 1); the shares sum to 1. */
  readonly shares: ReadonlyMap<Target, number>;
  /** Why, in a few words per step: printed when the models disagree. */
  readonly trace: readonly string[];
}

export function appTarget(app: string, port: number): Target {
  return `app:${app}:${port}`;
}

export function statusOutcome(status: number, trace: readonly string[]): Outcome {
  return { shares: new Map<Target, number>([[`status:${status}`, 1]]), trace };
}

export function refusedOutcome(trace: readonly string[]): Outcome {
  return { shares: new Map<Target, number>([['refused', 1]]), trace };
}

/**
 * Weighted parts (each a target with a non-negative weight) → shares that sum to 1. Parts of one
 * target add up; parts of weight 0 disappear. Throws when nothing has weight: the caller decides
 * what an empty split means (every model rule states it).
 */
export function splitOutcome(parts: readonly { target: Target; weight: number }[], trace: readonly string[]): Outcome {
  const total = parts.reduce((s, p) => s + p.weight, 0);
  if (!(total > 0)) throw new Error(`internal: a split with no weight (${JSON.stringify(parts)})`);
  const shares = new Map<Target, number>();
  for (const p of parts) {
    if (p.weight <= 0) continue;
    shares.set(p.target, (shares.get(p.target) ?? 0) + p.weight / total);
  }
  return { shares, trace };
}

/** Shares may differ by this much (1 percentage point): cfmesh rounds weights to integer percents. */
export const SHARE_TOLERANCE = 0.01;

/**
 * The comparison the property test makes: the same set of targets with a share > 0, and each
 * share within SHARE_TOLERANCE. Returns undefined when they agree, else a one-line reason.
 * Status codes are compared exactly: 405 is what cf's `methods` semantics answer (the manifest
 * extension defines it), so a 403 from an AuthorizationPolicy is a disagreement.
 */
export function compareOutcomes(expected: Outcome, actual: Outcome): string | undefined {
  const keys = new Set<Target>([...expected.shares.keys(), ...actual.shares.keys()]);
  const missing = [...keys].filter((k) => !actual.shares.has(k));
  const extra = [...keys].filter((k) => !expected.shares.has(k));
  if (missing.length > 0 || extra.length > 0) {
    return `targets differ: gorouter ${formatShares(expected)}, istio ${formatShares(actual)}`;
  }
  for (const k of keys) {
    const e = expected.shares.get(k) as number;
    const a = actual.shares.get(k) as number;
    if (Math.abs(e - a) > SHARE_TOLERANCE + 1e-9) return `share of ${k}: gorouter ${pct(e)}, istio ${pct(a)}`;
  }
  return undefined;
}

export function formatShares(outcome: Outcome): string {
  const parts = [...outcome.shares.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([k, v]) => `${k}=${pct(v)}`);
  return `{${parts.join(', ')}}`;
}

export function formatOutcome(outcome: Outcome): string {
  return `${formatShares(outcome)}\n      ${outcome.trace.join('\n      ')}`;
}

function pct(v: number): string {
  return `${(v * 100).toFixed(1).replace(/\.0$/, '')}%`;
}

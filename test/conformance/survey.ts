// Not a test: a survey of the disagreements the conformance property finds, grouped into classes,
// with one example each. For the people fixing the translator; the property test stops at the
// first failing case, this looks at many.
//   node --import tsx test/conformance/survey.ts [CASES] [SEED]
import fc from 'fast-check';
import { checkCase, type Disagreement } from './check.ts';
import { conformanceCase } from './generator.ts';
import { describeRequest, type ManifestDesc } from './manifest-desc.ts';
import { formatOutcome, type Outcome } from './outcome.ts';

const cases = Number(process.argv[2] ?? 300);
const seed = Number(process.argv[3] ?? 20261121);

const has = (o: Outcome, t: string) => [...o.shares.keys()].some((k) => k === t || k.startsWith(t));
const apps = (o: Outcome) => [...o.shares.keys()].filter((k) => k.startsWith('app:')).sort().join(',');

/** Apps whose web instances cfmesh counts differently from CC (a `web` entry without `instances`). */
function webProcessApps(m: ManifestDesc): Set<string> {
  return new Set(m.apps.filter((a) => a.processes?.some((p) => p.type === 'web' && p.instances === undefined) && (a.instances ?? 1) !== 1).map((a) => a.name));
}

/** Heuristic classes, from the outcomes, the traces and the request's shape. */
function classify(d: Disagreement, m: ManifestDesc): string {
  const g = d.gorouter;
  const i = d.istio;
  const web = webProcessApps(m);
  const differing = [...new Set([...g.shares.keys(), ...i.shares.keys()])].filter((k) => Math.abs((g.shares.get(k) ?? 0) - (i.shares.get(k) ?? 0)) > 0.01);
  if (differing.length > 0 && differing.every((k) => k.startsWith('app:')) && differing.some((k) => web.has(k.split(':')[1] as string))) {
    return '`web` process entry without `instances`: cfmesh counts the app-level instances (CC: 1)';
  }
  const itrace = i.trace.join(' | ');
  if (d.request.kind === 'tcp') {
    if (itrace.includes('DENY by AuthorizationPolicy')) return 'TCP connection refused by a `methods` DENY policy';
    if (has(i, 'refused') && apps(i) !== '') return 'TCP: a destination without running instances gets a share (refused)';
    if (apps(g) === apps(i)) return 'TCP: same apps, different shares (instances)';
    return `TCP: ${apps(g) || 'refused'} vs ${apps(i) || 'refused'}`;
  }
  const r = d.request;
  const path = r.target.split('?')[0] as string;
  if (has(g, 'status:405') && has(i, 'status:403')) return '`methods`: 403 (DENY policy) where cf answers 405';
  if (has(i, 'status:403')) return '`methods` DENY policy refuses a request its route does not restrict (other host, wildcard, fallback)';
  if (has(g, 'status:405')) return '`methods` not enforced (Host port, letter case, path variant, or fallback route)';
  if (has(i, 'status:301') && !has(g, 'status:301')) return 'https-redirect reaches a request cf does not redirect (wildcard redirect on an exact host, ...)';
  if (has(g, 'status:301') && !has(i, 'status:301')) return 'https-redirect missing';
  if (has(i, 'status:503')) return itrace.includes('0 endpoint') || itrace.includes('0 endpoint(s)') ? 'route without running instances captures traffic (503)' : `503: ${itrace}`;
  if (has(i, 'status:404') && !has(g, 'status:404')) {
    if (/%[0-9a-f]{2}/.test(path)) return 'percent-encoded path: 404 (hex case)';
    if (path !== path.toLowerCase()) return 'path letter case: 404';
    if (itrace.includes('no route matches')) return 'no fallback to a less specific route (same host or wildcard): 404';
    return `404 where cf serves: ${itrace}`;
  }
  if (has(g, 'status:404') && !has(i, 'status:404')) return 'Istio serves a request cf answers 404';
  if (apps(g) === apps(i)) return 'same apps, different shares (instances: web process, zero instances, two ports, weights)';
  if (path !== path.toLowerCase()) return 'path letter case: another route';
  if (path.endsWith('/') && path !== '/') return 'trailing slash: another route';
  if (itrace.includes('0 endpoint')) return 'route without running instances captures traffic (503 share)';
  return 'served by other apps (route choice: fallback, zero instances, rules, pools merged by key)';
}

const byClass = new Map<string, { count: number; cases: Set<number>; example: string }>();
const refused = new Map<string, { count: number; example: string }>();
let checked = 0;
let failing = 0;
const samples = fc.sample(conformanceCase, { numRuns: cases, seed });
samples.forEach((c, n) => {
  const result = checkCase(c.manifest, c.requests);
  if (result.kind === 'refused') {
    const key = result.errors.map((e) => `${e.code}: ${e.message.replace(/route \S+|app "\S+"|'[^']*'|"[^"]*"|\d+/g, '…')}`).sort().join(' / ');
    const entry = refused.get(key) ?? { count: 0, example: result.yaml };
    entry.count++;
    refused.set(key, entry);
    return;
  }
  checked++;
  if (result.disagreements.length > 0) failing++;
  for (const d of result.disagreements) {
    const cls = classify(d, c.manifest);
    const entry = byClass.get(cls) ?? { count: 0, cases: new Set(), example: `${result.yaml}---\n${describeRequest(d.request)}\n  gorouter: ${formatOutcome(d.gorouter)}\n  istio:    ${formatOutcome(d.istio)}` };
    entry.count++;
    entry.cases.add(n);
    byClass.set(cls, entry);
  }
});
console.log(`${cases} generated manifests (seed ${seed}): ${cases - checked} refused by cfmesh, ${checked} converted, ${failing} of those with disagreements.\n`);
console.log('== refused by cfmesh (cf accepts them):');
for (const [k, v] of [...refused.entries()].sort((a, b) => b[1].count - a[1].count)) console.log(`${String(v.count).padStart(5)}  ${k}`);
console.log('\n== disagreements (requests, in how many manifests):');
for (const [k, v] of [...byClass.entries()].sort((a, b) => b[1].count - a[1].count)) console.log(`${String(v.count).padStart(5)} ${String(v.cases.size).padStart(4)}  ${k}`);
if (process.env['SURVEY_EXAMPLES']) {
  for (const [k, v] of byClass) console.log(`\n==== ${k}\n${v.example}`);
  for (const [k, v] of refused) console.log(`\n==== refused: ${k}\n${v.example}`);
}

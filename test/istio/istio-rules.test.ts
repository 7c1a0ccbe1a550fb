// Every golden output is valid Istio: the full checker (validate-istio.ts: CRD schemas, CEL, Go
// validation, analyze-style cross references), plus the focused rules the traffic translation relies
// on (research/istio.md part b), kept as a small, readable second opinion.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { RETRY_ON } from '../../src/manifest/controls.ts';
import { parseDuration } from '../../src/manifest/duration.ts';
import { checkRe2 } from '../../src/manifest/regex.ts';
import type { Resource } from '../../src/resource/resource.ts';
import { formatProblems, validateIstio } from './validate-istio.ts';

type Obj = Record<string, any>;
const root = join(import.meta.dirname, '..', '..', 'fixtures');
const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DURATION_KEYS = new Set(['timeout', 'perTryTimeout', 'fixedDelay', 'interval', 'baseEjectionTime']);

/** Every problem found in one set of resources, as readable strings. */
export function istioProblems(resources: readonly Obj[]): string[] {
  const problems: string[] = [];
  const walk = (value: unknown, path: string, visit: (key: string, v: unknown, path: string) => void) => {
    if (Array.isArray(value)) value.forEach((v, i) => walk(v, `${path}[${i}]`, visit));
    else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) { visit(k, v, `${path}.${k}`); walk(v, `${path}.${k}`, visit); }
  };
  const subsets = new Map<string, Set<string>>();
  const gatewayHosts: string[] = [];
  for (const r of resources) {
    const id = `${r.kind}/${r.metadata?.name}`;
    walk(r.spec, id, (key, v, path) => {
      if (DURATION_KEYS.has(key)) {
        const d = typeof v === 'string' ? parseDuration(v) : { ok: false };
        if (!d.ok) problems.push(`${path}: ${String(v)} is not a duration Istio accepts`);
      }
      if (key === 'regex' && (typeof v !== 'string' || checkRe2(v) !== undefined)) problems.push(`${path}: not an RE2 regex of at most 1024 characters`);
      if (key === 'retryOn') for (const t of String(v).split(',')) if (!(RETRY_ON as readonly string[]).includes(t) && !/^\d{3}$/.test(t)) problems.push(`${path}: retryOn ${t}`);
      if (key === 'retries' && v && (v as Obj)['attempts'] === 0 && Object.keys(v as Obj).length > 1) problems.push(`${path}: attempts 0 with other retry fields`);
      if ((key === 'trafficPolicy' || key === 'connectionPool' || key === 'outlierDetection' || key === 'fault') && (!v || Object.keys(v as Obj).length === 0)) problems.push(`${path}: empty ${key}`);
      if (key === 'consecutiveErrors') problems.push(`${path}: deprecated consecutiveErrors`);
      if (key === 'percentage' || key === 'mirrorPercentage') {
        const p = (v as Obj)['value'];
        if (!(typeof p === 'number' && (p === 0 || (p >= 0.0001 && p <= 100)))) problems.push(`${path}: percentage ${p}`);
      }
      if (key === 'weight' && !(Number.isInteger(v) && (v as number) >= 0)) problems.push(`${path}: weight ${String(v)}`);
    });
    if (r.kind === 'DestinationRule') {
      const names = new Set<string>();
      for (const s of r.spec.subsets ?? []) {
        if (!LABEL.test(s.name) || s.name.length > 63) problems.push(`${id}: subset name ${s.name} is not a DNS-1123 label`);
        if (names.has(s.name)) problems.push(`${id}: subset ${s.name} twice`);
        names.add(s.name);
      }
      const lb = r.spec.trafficPolicy?.loadBalancer;
      if (lb && 'simple' in lb && 'consistentHash' in lb) problems.push(`${id}: loadBalancer sets both simple and consistentHash`);
      const hostSubsets = subsets.get(r.spec.host) ?? new Set<string>();
      for (const n of names) hostSubsets.add(n);
      subsets.set(r.spec.host, hostSubsets);
    }
    if (r.kind === 'Gateway') {
      if (r.metadata.name.includes('.')) problems.push(`${id}: a Gateway name has no dots`);
      const names = new Set<string>();
      for (const s of r.spec.servers) {
        if (names.has(s.port.name)) problems.push(`${id}: port name ${s.port.name} twice`);
        names.add(s.port.name);
        const proto = String(s.port.protocol).toUpperCase();
        if ((proto === 'HTTPS' || proto === 'TLS') && !s.tls?.mode) problems.push(`${id}: ${s.port.name} needs tls`);
        if (proto === 'HTTP' && s.tls && (Object.keys(s.tls).length !== 1 || s.tls.httpsRedirect !== true)) problems.push(`${id}: HTTP server ${s.port.name} may only carry tls.httpsRedirect`);
        if (s.tls?.mode === 'SIMPLE' && !s.tls.credentialName) problems.push(`${id}: SIMPLE needs a credential`);
        gatewayHosts.push(...s.hosts);
      }
    }
    if (r.kind === 'ServiceEntry' && r.spec.resolution === 'STATIC') {
      for (const e of r.spec.endpoints ?? []) if (!/^[\d.]+$|:/.test(e.address)) problems.push(`${id}: STATIC endpoint ${e.address} is not an IP`);
    }
    if (r.kind === 'AuthorizationPolicy' && r.spec.action !== 'DENY') problems.push(`${id}: cfmesh only emits DENY policies (an ALLOW locks other routes out)`);
  }
  for (const r of resources.filter((x) => x.kind === 'VirtualService')) {
    const id = `VirtualService/${r.metadata.name}`;
    const destinations: Obj[] = [];
    for (const h of r.spec.http ?? []) {
      destinations.push(...(h.route ?? []).map((d: Obj) => d.destination));
      if (h.mirror) destinations.push(h.mirror);
    }
    for (const t of r.spec.tcp ?? []) destinations.push(...t.route.map((d: Obj) => d.destination));
    for (const d of destinations) {
      if (d.subset !== undefined && !subsets.get(d.host)?.has(d.subset)) problems.push(`${id}: subset ${d.subset} of ${d.host} is not defined by a DestinationRule`);
    }
    const http = r.spec.http ?? [];
    http.forEach((h: Obj, i: number) => {
      if (!h.match && i !== http.length - 1) problems.push(`${id}: catch-all rule ${h.name} is not last`);
    });
    if (!r.spec.gateways.includes('mesh')) {
      for (const host of r.spec.hosts) if (!gatewayHosts.some((g) => g === '*' || g === host)) problems.push(`${id}: host ${host} is on no gateway server`);
    }
  }
  return problems;
}

for (const name of readdirSync(root).sort()) {
  const file = join(root, name, 'expected.yaml');
  if (!existsSync(file)) continue;
  test(`Istio rules hold for fixture ${name}`, () => {
    const resources = parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJS() as Obj);
    assert.deepEqual(istioProblems(resources), []);
    const problems = validateIstio(resources as Resource[]);
    assert.equal(problems.length, 0, formatProblems(problems));
  });
}

test('the checker itself catches what it claims to', () => {
  const bad = [
    { kind: 'Gateway', metadata: { name: 'g' }, spec: { servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['a.example.com'] }, { port: { number: 443, name: 'http', protocol: 'HTTPS' }, hosts: ['a.example.com'] }] } },
    { kind: 'DestinationRule', metadata: { name: 'd' }, spec: { host: 'h', trafficPolicy: {}, subsets: [{ name: 'v1.2' }] } },
    { kind: 'VirtualService', metadata: { name: 'v' }, spec: { hosts: ['b.example.com'], gateways: ['g'], http: [{ name: 'x', route: [{ destination: { host: 'h', subset: 'v9' } }], timeout: '1.5ms', retries: { attempts: 0, retryOn: '5xx, reset' }, match: [{ headers: { a: { regex: '(?=x)' } } }] }] } },
  ];
  const problems = istioProblems(bad);
  for (const expected of ['port name http twice', 'needs tls', 'empty trafficPolicy', 'DNS-1123', 'subset v9', 'not a duration', 'retryOn  reset', 'attempts 0', 'RE2', 'on no gateway server']) {
    assert.ok(problems.some((p) => p.includes(expected)), `expected a problem about ${expected}: ${problems.join('\n')}`);
  }
});

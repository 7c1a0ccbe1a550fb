// The pure parts of canary deployments: steps, the default step, the verdict, the PromQL.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canaryQueries, judge } from '../../src/app/auto-promote.ts';
import { defaultStep, parseInstanceSteps, stepWeights } from '../../src/app/deployment.ts';
import { emptyState } from '../../src/state/format.ts';
import type { DeploymentRecord, State } from '../../src/state/types.ts';
import { istioOptions } from '../../src/cli/options.ts';

test('parseInstanceSteps: ascending whole percentages 1-100, equal neighbours allowed (CC weights.sort != weights)', () => {
  const cases = [
    { text: '10,25,50', steps: [10, 25, 50] },
    { text: ' 5 , 100 ', steps: [5, 100] },
    { text: '20,20', steps: [20, 20] },
    { text: '1', steps: [1] },
  ];
  for (const c of cases) assert.deepEqual(parseInstanceSteps(c.text), c.steps, c.text);
  for (const bad of ['', '0', '101', '30,20', '1e2', '+5', '10;20']) assert.throws(() => parseInstanceSteps(bad), { code: 'USAGE' }, bad);
});

test('defaultStep: one canary instance next to N (CC canary_step_plan { canary: 1, original: N })', () => {
  const cases = [
    { instances: [1], step: 50 },
    { instances: [3], step: 25 },
    { instances: [2, 2], step: 20 },
    { instances: [0], step: 100 },
    { instances: [99], step: 1 },
    { instances: [200], step: 1 },
  ];
  for (const c of cases) assert.equal(defaultStep(c.instances), c.step, JSON.stringify(c.instances));
});

const deployment = (shape: DeploymentRecord['shape'], canary: string, shares: Record<string, number>, steps: number[], step: number): DeploymentRecord => ({
  strategy: 'canary',
  shape,
  canary,
  steps,
  step,
  generation: 1,
  routes: { 'r.example.com': { before: [], shares } },
});

test('stepWeights: a revision splits the app\'s share; a takeover scales the others; always summing to 100', () => {
  const cases = [
    { d: deployment('revision', 'web@v2', { web: 100, 'web@v2': 0 }, [10], 1), want: { web: 90, 'web@v2': 10 } },
    { d: deployment('revision', 'web@v2', { web: 80, other: 20, 'web@v2': 0 }, [25], 1), want: { other: 20, web: 60, 'web@v2': 20 } },
    { d: deployment('revision', 'web@v2', { web: 67, other: 33, 'web@v2': 0 }, [50], 1), want: { other: 33, web: 34, 'web@v2': 33 } },
    { d: deployment('revision', 'web@v2', { web: 100, 'web@v2': 0 }, [10, 100], 2), want: { web: 0, 'web@v2': 100 } },
    { d: deployment('takeover', 'c', { a: 60, b: 40, c: 0 }, [50], 1), want: { a: 30, b: 20, c: 50 } },
    { d: deployment('takeover', 'c', { a: 50, b: 50, c: 0 }, [33], 1), want: { a: 34, b: 33, c: 33 } },
  ];
  for (const c of cases) {
    const got = Object.fromEntries(stepWeights(c.d, 'web', 'r.example.com'));
    assert.deepEqual(got, c.want, JSON.stringify(c.d.routes));
    assert.equal(Object.values(got).reduce((s, w) => s + w, 0), 100);
  }
});

test('judge: too few requests first, then every threshold; each breach named with its value', () => {
  const t = { minSuccessRate: 99, maxLatencyMs: 500, minRequests: 100 };
  const cases = [
    { m: { requests: 99, successRate: 50, p99Ms: 9000 }, verdict: 'too-few', breaches: 0 },
    { m: { requests: 100, successRate: 99, p99Ms: 500 }, verdict: 'pass', breaches: 0 },
    { m: { requests: 100, successRate: 98.9, p99Ms: 10 }, verdict: 'breach', breaches: 1 },
    { m: { requests: 100, successRate: 100, p99Ms: 501 }, verdict: 'breach', breaches: 1 },
    { m: { requests: 100, successRate: 10, p99Ms: Infinity }, verdict: 'breach', breaches: 2 },
    { m: { requests: 0, successRate: null, p99Ms: null }, verdict: 'too-few', breaches: 0 },
  ];
  for (const c of cases) {
    const j = judge(c.m, t);
    assert.equal(j.verdict, c.verdict, JSON.stringify(c.m));
    assert.equal(j.breaches.length, c.breaches, JSON.stringify(c.m));
  }
  assert.equal(judge({ requests: 0, successRate: null, p99Ms: null }, { ...t, minRequests: 0 }).verdict, 'too-few', 'no traffic at all is never a pass');
});

test('canaryQueries: destination-reported metrics of the canary\'s service and version in its namespace', () => {
  const state: State = {
    ...emptyState(),
    apps: { web: { name: 'web', instances: 1, extra: { version: 'v1' } }, 'web@v2': { name: 'web@v2', instances: 1, extra: { version: 'v2', service: 'web' } } },
  };
  const d = deployment('revision', 'web@v2', { web: 100, 'web@v2': 0 }, [10], 1);
  const q = canaryQueries(state, 'web', d, { istio: istioOptions({ namespace: 'shop' }, {}) }, 120);
  const sel = 'reporter="destination",destination_workload_namespace="shop",destination_app="web",destination_version="v2"';
  assert.equal(q.requests, `sum(increase(istio_requests_total{${sel}}[120s]))`);
  assert.equal(q.errors, `sum(increase(istio_requests_total{${sel},response_code=~"5.."}[120s]))`);
  assert.equal(q.p99, `histogram_quantile(0.99, sum by (le) (rate(istio_request_duration_milliseconds_bucket{${sel}}[120s])))`);
});

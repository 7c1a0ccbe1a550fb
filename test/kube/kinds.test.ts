// Kind → plural as kubectl guesses it (apimachinery UnsafeGuessKindToResource), for every kind cfmesh writes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pluralOf } from '../../src/kube/kinds.ts';

const cases: [string, string][] = [
  // Istio's CRDs (manifests/charts/base/files/crd-all.gen.yaml at 1.30.3, spec.names.plural)
  ['Gateway', 'gateways'],
  ['VirtualService', 'virtualservices'],
  ['DestinationRule', 'destinationrules'],
  ['ServiceEntry', 'serviceentries'],
  ['WorkloadEntry', 'workloadentries'],
  ['Sidecar', 'sidecars'],
  ['PeerAuthentication', 'peerauthentications'],
  ['AuthorizationPolicy', 'authorizationpolicies'],
  // Gateway API and the core API
  ['HTTPRoute', 'httproutes'],
  ['ReferenceGrant', 'referencegrants'],
  ['Secret', 'secrets'],
  ['ConfigMap', 'configmaps'],
  // the rule's other branches
  ['Endpoints', 'endpoints'],
  ['Ingress', 'ingresses'],
  ['Box', 'boxes'],
  ['Patch', 'patches'],
];
for (const [kind, plural] of cases) test(`pluralOf ${kind}`, () => assert.equal(pluralOf(kind), plural));

test('a plural given for a kind wins over the guess', () => assert.equal(pluralOf('Octopus', { Octopus: 'octopodes' }), 'octopodes'));

#!/usr/bin/env node
// Run by hand (not by tests): regenerates test/istio/crd-schemas.json from the upstream Istio CRD bundle.
//   node test/istio/extract-crd-schemas.mjs [path/to/crd-all.gen.yaml]
// Default input: ../shared/upstream-schemas/istio/crd-all.gen.yaml relative to the repository root.
// See test/istio/NOTICE.md for provenance and licence.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { createHash } from 'node:crypto';
import { parseAllDocuments } from 'yaml';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '..', '..');
const input = resolve(process.argv[2] ?? resolve(repoRoot, '..', 'shared', 'upstream-schemas', 'istio', 'crd-all.gen.yaml'));
const output = resolve(here, 'crd-schemas.json');

const WANTED = {
  'networking.istio.io': ['Gateway', 'VirtualService', 'DestinationRule', 'ServiceEntry', 'WorkloadEntry', 'Sidecar'],
  'security.istio.io': ['PeerAuthentication', 'AuthorizationPolicy'],
};

function fail(msg) {
  console.error(`extract-crd-schemas: ${msg}`);
  process.exit(1);
}

// Pinned upstream release. When refreshing the CRD bundle, update these, NOTICE.md and the tests.
const SOURCE = {
  repository: 'github.com/istio/istio',
  path: 'manifests/charts/base/files/crd-all.gen.yaml',
  tag: '1.30.3',
  commit: '56df41f63e513f834c9a3af33d8aed82d1d961f2',
  blob: '7318e07ffdaca66dbbfdc4e27e93da74eabdd3a2',
  license: 'Apache-2.0',
};

const raw = readFileSync(input);
// `git hash-object` of the input: proves we read the pinned upstream blob byte for byte.
const blob = createHash('sha1').update(`blob ${raw.length}\0`).update(raw).digest('hex');
if (blob !== SOURCE.blob) {
  fail(`${input} has git blob ${blob}, expected ${SOURCE.blob} (Istio ${SOURCE.tag}); update SOURCE and NOTICE.md if this is a deliberate refresh`);
}
const docs = parseAllDocuments(raw.toString('utf8'));
const crds = new Map();
for (const doc of docs) {
  if (doc.errors.length > 0) fail(`YAML error in ${input}: ${doc.errors[0].message}`);
  const crd = doc.toJS({ maxAliasCount: -1 });
  if (crd?.kind !== 'CustomResourceDefinition') continue;
  crds.set(`${crd.spec.names.kind}.${crd.spec.group}`, crd);
}

const kinds = {};
for (const [group, names] of Object.entries(WANTED)) {
  for (const kind of names) {
    const crd = crds.get(`${kind}.${group}`);
    if (!crd) fail(`no CRD for ${kind}.${group}`);
    const served = crd.spec.versions.filter((v) => v.served);
    if (served.length === 0) fail(`${kind}: no served version`);
    const storage = crd.spec.versions.find((v) => v.storage)?.name;
    const first = served[0].schema?.openAPIV3Schema;
    if (!first) fail(`${kind}/${served[0].name}: no openAPIV3Schema`);
    for (const v of served.slice(1)) {
      if (!isDeepStrictEqual(v.schema?.openAPIV3Schema, first)) {
        fail(`${kind}: openAPIV3Schema of ${v.name} differs from ${served[0].name}; the checker assumes one schema per kind`);
      }
    }
    const spec = first.properties?.spec;
    if (!spec) fail(`${kind}: schema has no spec property`);
    kinds[kind] = {
      group,
      plural: crd.spec.names.plural,
      servedVersions: served.map((v) => v.name),
      storageVersion: storage,
      openAPIV3Schema: first,
    };
  }
}

const out = {
  source: { ...SOURCE, generatedBy: 'test/istio/extract-crd-schemas.mjs' },
  kinds,
};
writeFileSync(output, `${JSON.stringify(out, null, 1)}\n`);
console.log(`wrote ${output}: ${Object.entries(kinds).map(([k, v]) => `${k}(${v.servedVersions.join(',')})`).join(' ')}`);

#!/usr/bin/env node
// Run by hand (not by tests): regenerates test/gateway-api/crd-schemas.json from the Gateway API
// v1.5.1 CRDs (kubernetes-sigs/gateway-api, config/crd/{standard,experimental}, Apache-2.0):
//   node test/gateway-api/extract-crd-schemas.mjs [DIR]   (default ../shared/upstream-schemas/gateway-api/v1.5.1)
// Keeps, per served version, the openAPIV3Schema without descriptions (validation is unchanged:
// descriptions carry no rule), and the sha256 of each file read, so the data names its source.
import { readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const here = dirname(fileURLToPath(import.meta.url));
const dir = resolve(process.argv[2] ?? resolve(here, '..', '..', '..', 'shared', 'upstream-schemas', 'gateway-api', 'v1.5.1'));
const FILES = {
  Gateway: 'standard/gateway.networking.k8s.io_gateways.yaml',
  HTTPRoute: 'standard/gateway.networking.k8s.io_httproutes.yaml',
  ReferenceGrant: 'standard/gateway.networking.k8s.io_referencegrants.yaml',
  GRPCRoute: 'standard/gateway.networking.k8s.io_grpcroutes.yaml',
  TCPRoute: 'experimental/gateway.networking.k8s.io_tcproutes.yaml',
};
const strip = (node) => {
  if (Array.isArray(node)) return node.map(strip);
  if (node && typeof node === 'object') return Object.fromEntries(Object.entries(node).filter(([k]) => k !== 'description').map(([k, v]) => [k, strip(v)]));
  return node;
};
const out = { source: { repository: 'github.com/kubernetes-sigs/gateway-api', release: 'v1.5.1', license: 'Apache-2.0' }, kinds: {} };
for (const [kind, file] of Object.entries(FILES)) {
  const raw = readFileSync(resolve(dir, file));
  const crd = parse(raw.toString('utf8'));
  const versions = {};
  for (const v of crd.spec.versions) if (v.served) versions[v.name] = strip(v.schema.openAPIV3Schema);
  out.kinds[kind] = {
    group: crd.spec.group,
    channel: crd.metadata.annotations['gateway.networking.k8s.io/channel'],
    file,
    sha256: createHash('sha256').update(raw).digest('hex'),
    versions,
  };
}
writeFileSync(resolve(here, 'crd-schemas.json'), `${JSON.stringify(out)}\n`);

/**
 * Tests for the test-side Istio checker itself: a realistic valid set passes with zero problems, and every rule
 * catches at least one invalid input (so the checker cannot silently pass everything).
 */
import { AssertionError } from 'node:assert';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Resource } from '../../src/resource/resource.ts';
import { unimplementedCelRules, parseGoDuration, crdData } from './crd-schema.ts';
import { assertValidIstio, formatProblems, hostsOverlap, isCatchAll, matchCovers, validateIstio, wildcardDomainError } from './validate-istio.ts';
import type { Problem } from './validate-istio.ts';

const labels = { 'app.kubernetes.io/managed-by': 'cfmesh', app: 'bookinfo' };
const NS = 'bookinfo';

function res(apiVersion: string, kind: string, name: string, spec: Record<string, unknown>, namespace = NS): Resource {
  return { apiVersion, kind, metadata: { name, namespace, labels }, spec };
}

/** A realistic, valid cfmesh-style output (bookinfo). */
function validSet(): Resource[] {
  return [
    res('networking.istio.io/v1', 'Gateway', 'bookinfo-gateway', {
      selector: { istio: 'ingressgateway' },
      servers: [
        { port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['bookinfo.example.com'], tls: { httpsRedirect: true } },
        {
          port: { number: 443, name: 'https', protocol: 'HTTPS' },
          hosts: ['bookinfo.example.com', '*.apps.example.com'],
          tls: { mode: 'SIMPLE', credentialName: 'bookinfo-cert' },
        },
        { port: { number: 31400, name: 'tcp', protocol: 'TCP' }, hosts: ['tcp.example.com'] },
      ],
    }),
    res('networking.istio.io/v1', 'VirtualService', 'bookinfo', {
      hosts: ['bookinfo.example.com'],
      gateways: ['bookinfo-gateway'],
      http: [
        { match: [{ uri: { exact: '/productpage' } }, { uri: { prefix: '/static/' } }, { uri: { prefix: '/api/v1/products' } }],
          route: [{ destination: { host: 'productpage.bookinfo.svc.cluster.local', port: { number: 9080 } } }],
          timeout: '15s' },
        { match: [{ uri: { regex: '^/login(/.*)?$' }, method: { exact: 'POST' } }],
          route: [{ destination: { host: 'productpage.bookinfo.svc.cluster.local', port: { number: 9080 } }, weight: 100 }] },
        { redirect: { uri: '/productpage', redirectCode: 302 } },
      ],
    }),
    res('networking.istio.io/v1', 'VirtualService', 'reviews', {
      hosts: ['reviews.bookinfo.svc.cluster.local'],
      http: [
        { name: 'jason', match: [{ headers: { 'end-user': { exact: 'jason' } } }],
          route: [{ destination: { host: 'reviews.bookinfo.svc.cluster.local', subset: 'v2' }, weight: 100 }] },
        { route: [
            { destination: { host: 'reviews.bookinfo.svc.cluster.local', subset: 'v1' }, weight: 90 },
            { destination: { host: 'reviews.bookinfo.svc.cluster.local', subset: 'v2' }, weight: 10 },
          ],
          retries: { attempts: 3, perTryTimeout: '2s', retryOn: '5xx,connect-failure,refused-stream,503' },
          timeout: '10s' },
      ],
    }),
    res('networking.istio.io/v1', 'VirtualService', 'ratings-fault', {
      hosts: ['ratings'],
      http: [
        { fault: { delay: { fixedDelay: '7s', percentage: { value: 0.5 } }, abort: { httpStatus: 500, percentage: { value: 10 } } },
          route: [{ destination: { host: 'ratings', subset: 'v1' } }] },
      ],
    }),
    res('networking.istio.io/v1', 'VirtualService', 'tcp-echo', {
      hosts: ['tcp.example.com'],
      gateways: ['bookinfo-gateway', 'istio-system/shared-gateway'],
      tcp: [{ match: [{ port: 31400 }], route: [
        { destination: { host: 'tcp-echo.bookinfo.svc.cluster.local', subset: 'v1', port: { number: 9000 } }, weight: 80 },
        { destination: { host: 'tcp-echo.bookinfo.svc.cluster.local', subset: 'v2', port: { number: 9000 } }, weight: 20 },
      ] }],
    }),
    res('networking.istio.io/v1', 'DestinationRule', 'reviews', {
      host: 'reviews.bookinfo.svc.cluster.local',
      trafficPolicy: {
        connectionPool: { tcp: { maxConnections: 100, connectTimeout: '30ms', idleTimeout: '0s' }, http: { http1MaxPendingRequests: 10 } },
        outlierDetection: { consecutive5xxErrors: 5, interval: '10s', baseEjectionTime: '30s', maxEjectionPercent: 50 },
        loadBalancer: { simple: 'LEAST_REQUEST' },
      },
      subsets: [
        { name: 'v1', labels: { version: 'v1' } },
        { name: 'v2', labels: { version: 'v2' }, trafficPolicy: { loadBalancer: { consistentHash: { httpHeaderName: 'x-user' } } } },
      ],
    }),
    res('networking.istio.io/v1', 'DestinationRule', 'ratings', {
      host: 'ratings',
      subsets: [{ name: 'v1', labels: { version: 'v1' } }],
    }),
    res('networking.istio.io/v1beta1', 'DestinationRule', 'tcp-echo', {
      host: 'tcp-echo.bookinfo.svc.cluster.local',
      subsets: [{ name: 'v1', labels: { version: 'v1' } }, { name: 'v2', labels: { version: 'v2' } }],
    }),
    res('networking.istio.io/v1', 'ServiceEntry', 'httpbin-external', {
      hosts: ['httpbin.org'],
      location: 'MESH_EXTERNAL',
      ports: [{ number: 443, name: 'https', protocol: 'TLS' }],
      resolution: 'DNS',
    }),
    res('networking.istio.io/v1', 'ServiceEntry', 'legacy-db', {
      hosts: ['db.legacy.internal'],
      addresses: ['10.20.0.0/24'],
      location: 'MESH_INTERNAL',
      ports: [{ number: 5432, name: 'tcp-postgres', protocol: 'TCP' }],
      resolution: 'STATIC',
      endpoints: [{ address: '10.20.0.5', ports: { 'tcp-postgres': 5432 } }, { address: '10.20.0.6' }],
    }),
    res('networking.istio.io/v1', 'WorkloadEntry', 'details-vm', {
      address: '10.0.0.5',
      ports: { http: 9080 },
      labels: { app: 'details', version: 'v1' },
      serviceAccount: 'bookinfo-details',
    }),
    res('security.istio.io/v1', 'PeerAuthentication', 'default', { mtls: { mode: 'STRICT' } }),
    res('security.istio.io/v1', 'AuthorizationPolicy', 'productpage-viewer', {
      selector: { matchLabels: { app: 'productpage' } },
      action: 'ALLOW',
      rules: [{
        from: [{ source: { principals: ['cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account'] } }],
        to: [{ operation: { methods: ['GET'], paths: ['/productpage', '/static/*'], ports: ['9080'] } }],
        when: [{ key: 'request.headers[x-env]', values: ['prod'] }],
      }],
    }),
  ];
}

// ----- mutation helpers -------------------------------------------------------------------------------------------

// Test fixtures are plain JSON; `any` keeps the table of mutations readable.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type M = any;

/** Clone the valid set and mutate resource `kind/name` (spec and metadata are mutable in the clone). */
function mutate(kind: string, name: string, fn: (r: M) => void): Resource[] {
  const set = structuredClone(validSet()) as M[];
  const r = set.find((x) => x.kind === kind && x.metadata.name === name);
  assert.ok(r, `fixture ${kind}/${name} exists`);
  fn(r);
  return set as Resource[];
}

function plus(...extra: Resource[]): Resource[] {
  return [...validSet(), ...extra];
}

interface Case {
  readonly name: string;
  readonly input: () => Resource[];
  readonly rule: string;
  /** substring that the problem path must contain */
  readonly path?: string;
  /** substring that the message must contain */
  readonly message?: string;
}

const gw = (name: string, spec: Record<string, unknown>): Resource => res('networking.istio.io/v1', 'Gateway', name, spec);
const vs = (name: string, spec: Record<string, unknown>): Resource => res('networking.istio.io/v1', 'VirtualService', name, spec);
const dest = (host: string, weight?: number, subset?: string): Record<string, unknown> => ({
  destination: subset === undefined ? { host } : { host, subset },
  ...(weight === undefined ? {} : { weight }),
});
const httpVs = (name: string, http: unknown[], extra: Record<string, unknown> = {}): Resource =>
  vs(name, { hosts: [`${name}.bookinfo.svc.cluster.local`], http, ...extra });

const CASES: readonly Case[] = [
  // ---- metadata / top level
  { name: 'unserved apiVersion', rule: 'meta/api-version', input: () => mutate('Gateway', 'bookinfo-gateway', (r) => { r.apiVersion = 'networking.istio.io/v2'; }) },
  { name: 'security kind with networking-only version', rule: 'meta/api-version', input: () => mutate('PeerAuthentication', 'default', (r) => { r.apiVersion = 'security.istio.io/v1alpha3'; }) },
  { name: 'wrong group', rule: 'meta/api-version', input: () => mutate('DestinationRule', 'ratings', (r) => { r.apiVersion = 'security.istio.io/v1'; }) },
  { name: 'extra top-level key', rule: 'meta/top-level', path: 'status', input: () => mutate('DestinationRule', 'ratings', (r) => { r.status = {}; }) },
  { name: 'unknown kind', rule: 'meta/kind', input: () => mutate('DestinationRule', 'ratings', (r) => { r.kind = 'EnvoyFilter'; }) },
  { name: 'metadata.name not a DNS subdomain', rule: 'meta/name', input: () => mutate('VirtualService', 'reviews', (r) => { r.metadata.name = 'Reviews_VS'; }) },
  { name: 'metadata.name too long', rule: 'meta/name', input: () => mutate('VirtualService', 'reviews', (r) => { r.metadata.name = 'a'.repeat(254); }) },
  { name: 'Gateway name with a dot', rule: 'go/gateway-name', path: 'metadata.name', input: () => plus(gw('gw.v1', { servers: [{ port: { number: 8080, name: 'http', protocol: 'HTTP' }, hosts: ['x.example.com'] }] })) },
  { name: 'bad namespace', rule: 'meta/namespace', input: () => mutate('DestinationRule', 'ratings', (r) => { r.metadata.namespace = 'Book.Info'; }) },
  { name: 'invalid label key', rule: 'meta/labels', input: () => mutate('DestinationRule', 'ratings', (r) => { r.metadata.labels = { ...labels, 'bad key!': 'x' }; }) },
  { name: 'invalid label value', rule: 'meta/labels', input: () => mutate('DestinationRule', 'ratings', (r) => { r.metadata.labels = { ...labels, app: 'not valid value' }; }) },
  { name: 'unexpected metadata field', rule: 'meta/metadata', input: () => mutate('DestinationRule', 'ratings', (r) => { r.metadata.generateName = 'x-'; }) },
  { name: 'missing managed-by label', rule: 'cfmesh/managed-by', input: () => mutate('DestinationRule', 'ratings', (r) => { r.metadata.labels = { app: 'bookinfo' }; }) },
  { name: 'invalid annotation key', rule: 'meta/annotations', input: () => mutate('DestinationRule', 'ratings', (r) => { r.metadata.annotations = { 'not a key': 'x' }; }) },
  { name: 'resource is not an object', rule: 'meta/object', input: () => [...validSet(), null as unknown as Resource] },
  { name: 'spec is not an object', rule: 'meta/spec', input: () => mutate('DestinationRule', 'ratings', (r) => { r.spec = 'host: ratings'; }) },
  { name: 'duplicate resource in set', rule: 'meta/duplicate', input: () => [...validSet(), ...validSet().slice(0, 1)] },

  // ---- CRD schema (ajv)
  { name: 'unknown spec field', rule: 'schema/additionalProperties', path: 'spec.hostz', input: () => mutate('DestinationRule', 'ratings', (r) => { r.spec.hostz = 'x'; }) },
  { name: 'unknown nested field', rule: 'schema/additionalProperties', path: 'destination.version', input: () => mutate('VirtualService', 'reviews', (r) => { r.spec.http[0].route[0].destination.version = 'v2'; }) },
  { name: 'StringMatch with exact and prefix', rule: 'schema/oneOf', path: 'match[0].uri', input: () => mutate('VirtualService', 'bookinfo', (r) => { r.spec.http[0].match[0].uri = { exact: '/a', prefix: '/a' }; }) },
  { name: 'loadBalancer simple and consistentHash', rule: 'schema/oneOf', input: () => mutate('DestinationRule', 'reviews', (r) => { r.spec.trafficPolicy.loadBalancer.consistentHash = { useSourceIp: true }; }) },
  { name: 'fractional weight', rule: 'schema/type', path: 'weight', input: () => mutate('VirtualService', 'reviews', (r) => { r.spec.http[1].route[0].weight = 89.5; r.spec.http[1].route[1].weight = 10.5; }) },
  { name: 'int32 overflow', rule: 'schema/format', input: () => mutate('DestinationRule', 'reviews', (r) => { r.spec.trafficPolicy.connectionPool.tcp.maxConnections = 2 ** 31; }) },
  { name: 'bad enum (tls mode)', rule: 'schema/enum', input: () => mutate('Gateway', 'bookinfo-gateway', (r) => { r.spec.servers[1].tls.mode = 'STRICT'; }) },
  { name: 'missing required (DR host)', rule: 'schema/required', input: () => mutate('DestinationRule', 'ratings', (r) => { delete r.spec.host; }) },
  { name: 'wrong type (hosts string)', rule: 'schema/type', input: () => mutate('VirtualService', 'reviews', (r) => { r.spec.hosts = 'reviews'; }) },
  { name: 'PeerAuthentication bad mode', rule: 'schema/enum', input: () => mutate('PeerAuthentication', 'default', (r) => { r.spec.mtls.mode = 'ON'; }) },
  { name: 'AuthorizationPolicy bad action', rule: 'schema/enum', input: () => mutate('AuthorizationPolicy', 'productpage-viewer', (r) => { r.spec.action = 'PERMIT'; }) },

  // ---- CEL
  { name: 'timeout 0s (CEL >= 1ms)', rule: 'cel', path: 'spec.http[1].timeout', input: () => mutate('VirtualService', 'reviews', (r) => { r.spec.http[1].timeout = '0s'; }) },
  { name: 'unparseable duration', rule: 'cel', path: 'perTryTimeout', input: () => mutate('VirtualService', 'reviews', (r) => { r.spec.http[1].retries.perTryTimeout = '2 seconds'; }) },
  { name: 'duration as number', rule: 'schema/type', path: 'interval', input: () => mutate('DestinationRule', 'reviews', (r) => { r.spec.trafficPolicy.outlierDetection.interval = 10; }) },
  { name: 'DR duration below 1ms', rule: 'cel', path: 'connectTimeout', input: () => mutate('DestinationRule', 'reviews', (r) => { r.spec.trafficPolicy.connectionPool.tcp.connectTimeout = '500us'; }) },
  { name: 'credentialName with credentialNames', rule: 'cel', message: 'credentialName or credentialNames', input: () => mutate('Gateway', 'bookinfo-gateway', (r) => { r.spec.servers[1].tls.credentialNames = ['other-cert']; }) },
  { name: 'SE NONE with endpoints', rule: 'cel', message: 'NONE mode cannot set endpoints', input: () => mutate('ServiceEntry', 'legacy-db', (r) => { r.spec.resolution = 'NONE'; }) },
  { name: 'SE duplicate port numbers', rule: 'cel', message: 'port number cannot be duplicated', input: () => mutate('ServiceEntry', 'httpbin-external', (r) => { r.spec.ports.push({ number: 443, name: 'tls-2', protocol: 'TLS' }); }) },
  { name: 'SE wildcard host *', rule: 'cel', message: 'hostname cannot be wildcard', input: () => mutate('ServiceEntry', 'httpbin-external', (r) => { r.spec.hosts = ['*']; r.spec.resolution = 'NONE'; }) },
  { name: 'SE CIDR with DNS resolution', rule: 'cel', message: 'CIDR', input: () => mutate('ServiceEntry', 'httpbin-external', (r) => { r.spec.addresses = ['10.0.0.0/8']; }) },
  { name: 'SE DNS_ROUND_ROBIN with 2 endpoints', rule: 'cel', message: 'DNS_ROUND_ROBIN', input: () => mutate('ServiceEntry', 'httpbin-external', (r) => { r.spec.resolution = 'DNS_ROUND_ROBIN'; r.spec.endpoints = [{ address: 'a.httpbin.org' }, { address: 'b.httpbin.org' }]; }) },
  { name: 'WE unix address with ports', rule: 'cel', message: 'UDS may not include ports', input: () => mutate('WorkloadEntry', 'details-vm', (r) => { r.spec.address = 'unix:///var/run/app.sock'; }) },
  { name: 'WE relative unix path', rule: 'cel', message: 'absolute path', input: () => mutate('WorkloadEntry', 'details-vm', (r) => { r.spec.address = 'unix://relative.sock'; delete r.spec.ports; }) },
  { name: 'WE port out of range', rule: 'cel', message: 'port must be between', input: () => mutate('WorkloadEntry', 'details-vm', (r) => { r.spec.ports = { http: 70000 }; }) },
  { name: 'WE without address or network', rule: 'cel', message: 'Address is required', input: () => mutate('WorkloadEntry', 'details-vm', (r) => { delete r.spec.address; }) },
  { name: 'PA portLevelMtls without selector', rule: 'cel', message: 'portLevelMtls requires selector', input: () => mutate('PeerAuthentication', 'default', (r) => { r.spec.portLevelMtls = { 8080: { mode: 'DISABLE' } }; }) },
  { name: 'PA portLevelMtls port 0', rule: 'cel', message: 'port must be between 1-65535', input: () => mutate('PeerAuthentication', 'default', (r) => { r.spec.selector = { matchLabels: { app: 'x' } }; r.spec.portLevelMtls = { 0: { mode: 'DISABLE' } }; }) },
  { name: 'AP selector and targetRef', rule: 'cel', message: 'only one of targetRefs or selector', input: () => mutate('AuthorizationPolicy', 'productpage-viewer', (r) => { r.spec.targetRef = { kind: 'Gateway', group: 'gateway.networking.k8s.io', name: 'gw' }; }) },
  { name: 'AP serviceAccounts with principals', rule: 'cel', message: 'serviceAccounts', input: () => mutate('AuthorizationPolicy', 'productpage-viewer', (r) => { r.spec.rules[0].from[0].source.serviceAccounts = ['bookinfo/productpage']; }) },
  { name: 'selector label wildcard', rule: 'cel', message: 'wildcard', input: () => mutate('AuthorizationPolicy', 'productpage-viewer', (r) => { r.spec.selector.matchLabels = { app: 'product*' }; }) },

  // ---- Go validation: durations, hosts, gateways
  { name: 'duration not whole ms', rule: 'go/duration', message: 'ms precision', input: () => mutate('VirtualService', 'reviews', (r) => { r.spec.http[1].timeout = '1.0005s'; }) },
  { name: 'invalid VS host', rule: 'go/host', path: 'spec.hosts[0]', input: () => mutate('VirtualService', 'reviews', (r) => { r.spec.hosts = ['reviews_v1.bookinfo']; }) },
  { name: 'numeric TLD', rule: 'go/host', input: () => mutate('VirtualService', 'reviews', (r) => { r.spec.hosts = ['reviews.123']; }) },
  { name: '* host on mesh VS', rule: 'go/host', message: 'mesh', input: () => mutate('VirtualService', 'reviews', (r) => { r.spec.hosts = ['*']; }) },
  { name: 'overlapping hosts in one VS', rule: 'go/host', message: 'duplicate hosts', input: () => mutate('VirtualService', 'bookinfo', (r) => { r.spec.hosts = ['*.example.com', 'bookinfo.example.com']; }) },
  { name: 'destination host *', rule: 'go/host', input: () => mutate('VirtualService', 'reviews', (r) => { r.spec.http[0].route[0].destination.host = '*'; }) },
  { name: 'invalid gateway reference', rule: 'go/gateway-name', input: () => mutate('VirtualService', 'bookinfo', (r) => { r.spec.gateways = ['istio-system/Bad_Gateway']; }) },
  { name: 'legacy name.namespace gateway reference', rule: 'go/gateway-name', input: () => mutate('VirtualService', 'bookinfo', (r) => { r.spec.gateways = ['bookinfo-gateway.bookinfo']; }) },
  { name: 'VS with no http/tcp/tls', rule: 'go/vs-empty', input: () => mutate('VirtualService', 'reviews', (r) => { delete r.spec.http; }) },
  { name: 'delegate VS with gateways', rule: 'go/delegate', input: () => plus(vs('delegate', { gateways: ['bookinfo-gateway'], http: [{ route: [dest('ratings')] }] })) },

  // ---- Go validation: routes
  { name: 'all weights zero', rule: 'go/weight', message: 'total destination weight = 0', input: () => mutate('VirtualService', 'reviews', (r) => { delete r.spec.http[1].route[0].weight; delete r.spec.http[1].route[1].weight; }) },
  { name: 'negative weight', rule: 'go/weight', message: '< 0', input: () => mutate('VirtualService', 'reviews', (r) => { r.spec.http[1].route[0].weight = 110; r.spec.http[1].route[1].weight = -10; }) },
  { name: 'regex not RE2 (lookbehind)', rule: 'go/regex', message: 'RE2', input: () => mutate('VirtualService', 'bookinfo', (r) => { r.spec.http[1].match[0].uri = { regex: '(?<=/)login' }; }) },
  { name: 'regex too long', rule: 'go/regex', message: 'too long', input: () => mutate('VirtualService', 'bookinfo', (r) => { r.spec.http[1].match[0].uri = { regex: `/${'a'.repeat(1024)}` }; }) },
  { name: 'empty regex', rule: 'go/regex', input: () => mutate('VirtualService', 'bookinfo', (r) => { r.spec.http[1].match[0].uri = { regex: '' }; }) },
  { name: 'empty prefix on header', rule: 'go/string-match', input: () => mutate('VirtualService', 'reviews', (r) => { r.spec.http[0].match[0].headers['end-user'] = { prefix: '' }; }) },
  { name: 'retryOn with space', rule: 'go/retry-on', message: '" reset"', input: () => mutate('VirtualService', 'reviews', (r) => { r.spec.http[1].retries.retryOn = '5xx, reset'; }) },
  { name: 'retryOn unknown status code', rule: 'go/retry-on', message: '"599"', input: () => mutate('VirtualService', 'reviews', (r) => { r.spec.http[1].retries.retryOn = '5xx,599'; }) },
  { name: 'retryOn unknown token', rule: 'go/retry-on', input: () => mutate('VirtualService', 'reviews', (r) => { r.spec.http[1].retries.retryOn = '5xx,timeout'; }) },
  { name: 'attempts 0 with perTryTimeout', rule: 'go/retries', input: () => mutate('VirtualService', 'reviews', (r) => { r.spec.http[1].retries = { attempts: 0, perTryTimeout: '2s' }; }) },
  { name: 'abort httpStatus 700', rule: 'go/fault', path: 'httpStatus', input: () => mutate('VirtualService', 'ratings-fault', (r) => { r.spec.http[0].fault.abort.httpStatus = 700; }) },
  { name: 'abort http2Error', rule: 'go/fault', input: () => mutate('VirtualService', 'ratings-fault', (r) => { r.spec.http[0].fault.abort = { http2Error: 'REFUSED_STREAM', percentage: { value: 1 } }; }) },
  { name: 'abort grpcStatus unknown', rule: 'go/fault', input: () => mutate('VirtualService', 'ratings-fault', (r) => { r.spec.http[0].fault.abort = { grpcStatus: 'NOPE' }; }) },
  { name: 'fault percentage > 100', rule: 'go/percentage', input: () => mutate('VirtualService', 'ratings-fault', (r) => { r.spec.http[0].fault.delay.percentage.value = 150; }) },
  { name: 'fault percentage too small', rule: 'go/percentage', input: () => mutate('VirtualService', 'ratings-fault', (r) => { r.spec.http[0].fault.delay.percentage.value = 0.00001; }) },
  { name: 'empty fault', rule: 'go/fault', input: () => mutate('VirtualService', 'ratings-fault', (r) => { r.spec.http[0].fault = {}; }) },
  { name: 'deprecated delay.percent', rule: 'IST0002', input: () => mutate('VirtualService', 'ratings-fault', (r) => { r.spec.http[0].fault.delay.percent = 5; }) },
  { name: 'route and redirect', rule: 'go/http-action', input: () => mutate('VirtualService', 'reviews', (r) => { r.spec.http[1].redirect = { uri: '/x' }; }) },
  { name: 'route and directResponse', rule: 'go/http-action', input: () => mutate('VirtualService', 'reviews', (r) => { r.spec.http[1].directResponse = { status: 503 }; }) },
  { name: 'no action at all', rule: 'go/http-action', input: () => mutate('VirtualService', 'reviews', (r) => { delete r.spec.http[1].route; }) },
  { name: 'redirect with rewrite', rule: 'go/http-action', input: () => mutate('VirtualService', 'bookinfo', (r) => { r.spec.http[2].rewrite = { uri: '/y' }; }) },
  { name: 'redirect code 200', rule: 'go/redirect', input: () => mutate('VirtualService', 'bookinfo', (r) => { r.spec.http[2].redirect.redirectCode = 200; }) },
  { name: 'redirect without target', rule: 'go/redirect', input: () => mutate('VirtualService', 'bookinfo', (r) => { r.spec.http[2].redirect = { redirectCode: 301 }; }) },
  { name: 'rewrite uri and uriRegexRewrite', rule: 'go/rewrite', input: () => mutate('VirtualService', 'reviews', (r) => { r.spec.http[1].rewrite = { uri: '/a', uriRegexRewrite: { match: '^/b', rewrite: '/c' } }; }) },
  { name: 'directResponse status 100', rule: 'go/direct-response', input: () => mutate('VirtualService', 'bookinfo', (r) => { r.spec.http[2] = { directResponse: { status: 100 } }; }) },
  { name: 'header name with space', rule: 'go/header-name', input: () => mutate('VirtualService', 'reviews', (r) => { r.spec.http[0].match[0].headers = { 'end user': { exact: 'jason' } }; }) },
  { name: 'upper-case header name', rule: 'cfmesh/header-lowercase', message: 'lower case', input: () => mutate('VirtualService', 'reviews', (r) => { r.spec.http[0].match[0].headers = { 'End-User': { exact: 'jason' } }; }) },
  { name: 'JWT claim routing on mesh VS', rule: 'go/header-name', message: 'JWT', input: () => mutate('VirtualService', 'reviews', (r) => { r.spec.http[0].match[0].headers = { '@request.auth.claims.group': { exact: 'admin' } }; }) },
  { name: 'set pseudo header', rule: 'go/header-op', input: () => mutate('VirtualService', 'reviews', (r) => { r.spec.http[1].headers = { request: { set: { ':path': '/x' } } }; }) },
  { name: 'route entry without destination', rule: 'go/destination', input: () => mutate('VirtualService', 'reviews', (r) => { r.spec.http[1].route[1] = { weight: 10 }; }) },
  { name: 'null http rule', rule: 'go/http', input: () => mutate('VirtualService', 'reviews', (r) => { r.spec.http.splice(1, 0, null); }) },
  { name: 'null match entry', rule: 'go/match', input: () => mutate('VirtualService', 'reviews', (r) => { r.spec.http[0].match.push(null); }) },
  { name: 'invalid sourceLabels', rule: 'go/labels', input: () => mutate('VirtualService', 'reviews', (r) => { r.spec.http[0].match[0].sourceLabels = { app: 'bad value!' }; }) },
  { name: 'invalid sourceNamespace', rule: 'go/namespace', input: () => mutate('VirtualService', 'reviews', (r) => { r.spec.http[0].match[0].sourceNamespace = 'Not_A_Namespace'; }) },
  { name: 'empty query param name', rule: 'go/query-param', input: () => mutate('VirtualService', 'reviews', (r) => { r.spec.http[0].match[0].queryParams = { '': { exact: 'x' } }; }) },
  { name: 'match port out of range', rule: 'go/port', input: () => mutate('VirtualService', 'tcp-echo', (r) => { r.spec.tcp[0].match[0].port = 0; }) },
  { name: 'TCP route without route', rule: 'go/tcp', input: () => mutate('VirtualService', 'tcp-echo', (r) => { r.spec.tcp[0].route = []; }) },
  { name: 'TCP destinationSubnets not CIDR', rule: 'go/subnet', input: () => mutate('VirtualService', 'tcp-echo', (r) => { r.spec.tcp[0].match[0].destinationSubnets = ['10.0.0.0/33']; }) },
  { name: 'TLS SNI host outside VS hosts', rule: 'go/tls', input: () => mutate('VirtualService', 'tcp-echo', (r) => { r.spec.tls = [{ match: [{ sniHosts: ['other.example.com'], port: 31400 }], route: [dest('tcp-echo.bookinfo.svc.cluster.local')] }]; }) },
  { name: 'JWT claim routing on VS bound to mesh and a gateway', rule: 'go/header-name', message: 'JWT', input: () => mutate('VirtualService', 'bookinfo', (r) => { r.spec.gateways = ['bookinfo-gateway', 'mesh']; r.spec.http[1].match[0].headers = { '@request.auth.claims.group': { exact: 'admin' } }; }) },
  { name: 'TLS SNI wildcard wider than VS host', rule: 'go/tls', input: () => mutate('VirtualService', 'tcp-echo', (r) => { r.spec.tls = [{ match: [{ sniHosts: ['*.example.com'] }], route: [dest('tcp-echo.bookinfo.svc.cluster.local')] }]; }) },
  { name: 'TCP rule after a match-less TCP rule', rule: 'IST0130', path: 'spec.tcp[1]', input: () => mutate('VirtualService', 'tcp-echo', (r) => { r.spec.tcp.unshift({ route: [dest('tcp-echo.bookinfo.svc.cluster.local', undefined, 'v1')] }); }) },
  { name: 'duplicate TCP match', rule: 'IST0131', input: () => mutate('VirtualService', 'tcp-echo', (r) => { r.spec.tcp.push(structuredClone(r.spec.tcp[0])); }) },
  { name: 'exportTo * with others', rule: 'go/export-to', input: () => mutate('VirtualService', 'reviews', (r) => { r.spec.exportTo = ['*', '.']; }) },
  { name: 'exportTo duplicate . and own namespace', rule: 'go/export-to', input: () => mutate('VirtualService', 'reviews', (r) => { r.spec.exportTo = ['.', NS]; }) },

  // ---- Go validation: Gateway
  { name: 'Gateway without servers', rule: 'go/gateway', message: 'at least one server', input: () => mutate('Gateway', 'bookinfo-gateway', (r) => { r.spec.servers = []; }) },
  { name: 'Gateway duplicate port names', rule: 'go/gateway', message: 'unique', input: () => mutate('Gateway', 'bookinfo-gateway', (r) => { r.spec.servers[2].port.name = 'http'; }) },
  { name: 'HTTPS server without tls', rule: 'go/gateway-tls', input: () => mutate('Gateway', 'bookinfo-gateway', (r) => { delete r.spec.servers[1].tls; }) },
  { name: 'TCP server with tls', rule: 'go/gateway-tls', input: () => mutate('Gateway', 'bookinfo-gateway', (r) => { r.spec.servers[2].tls = { mode: 'SIMPLE', credentialName: 'x' }; }) },
  { name: 'HTTP server with tls other than httpsRedirect', rule: 'go/gateway-tls', input: () => mutate('Gateway', 'bookinfo-gateway', (r) => { r.spec.servers[0].tls = { httpsRedirect: true, mode: 'SIMPLE' }; }) },
  { name: 'SIMPLE without certificate', rule: 'go/gateway-tls', input: () => mutate('Gateway', 'bookinfo-gateway', (r) => { r.spec.servers[1].tls = { mode: 'SIMPLE' }; }) },
  { name: 'ISTIO_MUTUAL with credentialName', rule: 'go/gateway-tls', input: () => mutate('Gateway', 'bookinfo-gateway', (r) => { r.spec.servers[1].tls.mode = 'ISTIO_MUTUAL'; }) },
  { name: 'MUTUAL without CA', rule: 'go/gateway-tls', input: () => mutate('Gateway', 'bookinfo-gateway', (r) => { r.spec.servers[1].tls = { mode: 'MUTUAL', serverCertificate: '/c.pem', privateKey: '/k.pem' }; }) },
  { name: 'Gateway short host name', rule: 'go/host', message: 'short names', input: () => mutate('Gateway', 'bookinfo-gateway', (r) => { r.spec.servers[2].hosts = ['tcp-echo']; }) },
  { name: 'Gateway partial wildcard', rule: 'go/host', message: 'partial wildcard', input: () => mutate('Gateway', 'bookinfo-gateway', (r) => { r.spec.servers[1].hosts = ['*bookinfo.example.com']; }) },
  { name: 'Gateway bad host namespace', rule: 'go/host', input: () => mutate('Gateway', 'bookinfo-gateway', (r) => { r.spec.servers[1].hosts = ['Bad_NS/bookinfo.example.com']; }) },
  { name: 'Gateway unknown protocol', rule: 'go/protocol', input: () => mutate('Gateway', 'bookinfo-gateway', (r) => { r.spec.servers[2].port.protocol = 'SCTP'; }) },
  { name: 'Gateway targetPort', rule: 'go/gateway', message: 'targetPort', input: () => mutate('Gateway', 'bookinfo-gateway', (r) => { r.spec.servers[2].port.targetPort = 9000; }) },

  // ---- Go validation: DestinationRule
  { name: 'subset name not a DNS label', rule: 'go/subset-name', input: () => mutate('DestinationRule', 'reviews', (r) => { r.spec.subsets[0].name = 'v1.2'; }) },
  { name: 'duplicate subset names', rule: 'go/subset-name', message: 'duplicate', input: () => mutate('DestinationRule', 'reviews', (r) => { r.spec.subsets[1].name = 'v1'; }) },
  { name: 'empty trafficPolicy', rule: 'go/traffic-policy', input: () => mutate('DestinationRule', 'ratings', (r) => { r.spec.trafficPolicy = {}; }) },
  { name: 'empty subset trafficPolicy', rule: 'go/traffic-policy', input: () => mutate('DestinationRule', 'ratings', (r) => { r.spec.subsets[0].trafficPolicy = {}; }) },
  { name: 'empty connectionPool', rule: 'go/connection-pool', input: () => mutate('DestinationRule', 'ratings', (r) => { r.spec.trafficPolicy = { connectionPool: {} }; }) },
  { name: 'portLevelSettings with only a port', rule: 'go/traffic-policy', input: () => mutate('DestinationRule', 'ratings', (r) => { r.spec.trafficPolicy = { portLevelSettings: [{ port: { number: 9080 } }] }; }) },
  { name: 'consistentHash with no key', rule: 'cfmesh/consistent-hash', input: () => mutate('DestinationRule', 'reviews', (r) => { r.spec.subsets[1].trafficPolicy.loadBalancer.consistentHash = { ringHash: { minimumRingSize: 1024 } }; }) },
  { name: 'maglev table size not prime', rule: 'go/consistent-hash', input: () => mutate('DestinationRule', 'reviews', (r) => { r.spec.subsets[1].trafficPolicy.loadBalancer.consistentHash.maglev = { tableSize: 65536 }; }) },
  { name: 'deprecated consecutiveErrors', rule: 'go/deprecated', message: 'consecutiveErrors', input: () => mutate('DestinationRule', 'reviews', (r) => { r.spec.trafficPolicy.outlierDetection.consecutiveErrors = 5; }) },
  { name: 'UPGRADE with useClientProtocol', rule: 'go/connection-pool', input: () => mutate('DestinationRule', 'reviews', (r) => { r.spec.trafficPolicy.connectionPool.http = { h2UpgradePolicy: 'UPGRADE', useClientProtocol: true }; }) },
  { name: 'local origin failures without split', rule: 'go/outlier', input: () => mutate('DestinationRule', 'reviews', (r) => { r.spec.trafficPolicy.outlierDetection.consecutiveLocalOriginFailures = 3; }) },
  { name: 'warmup aggression < 1', rule: 'go/warmup', input: () => mutate('DestinationRule', 'ratings', (r) => { r.spec.trafficPolicy = { loadBalancer: { simple: 'LEAST_REQUEST', warmup: { duration: '60s', aggression: 0.5 } } }; }) },
  { name: 'invalid subset labels', rule: 'go/labels', path: 'subsets[0].labels', input: () => mutate('DestinationRule', 'reviews', (r) => { r.spec.subsets[0].labels = { 'version/': 'v1' }; }) },
  { name: 'client MUTUAL without certs', rule: 'go/client-tls', input: () => mutate('DestinationRule', 'ratings', (r) => { r.spec.trafficPolicy = { tls: { mode: 'MUTUAL' } }; }) },
  { name: 'locality distribute not summing to 100', rule: 'go/locality', input: () => mutate('DestinationRule', 'ratings', (r) => { r.spec.trafficPolicy = { loadBalancer: { localityLbSetting: { distribute: [{ from: 'us-west/*', to: { 'us-west/*': 50, 'us-east/*': 40 } }] } } }; }) },

  // ---- Go validation: ServiceEntry / WorkloadEntry
  { name: 'STATIC endpoint address is a hostname', rule: 'go/service-entry', message: 'not a valid IP', input: () => mutate('ServiceEntry', 'legacy-db', (r) => { r.spec.endpoints[0].address = 'db1.legacy.internal'; }) },
  { name: 'SE port name not a DNS label', rule: 'go/service-entry', message: 'DNS-1123', input: () => mutate('ServiceEntry', 'legacy-db', (r) => { r.spec.ports[0].name = 'tcp_postgres'; r.spec.endpoints[0].ports = { tcp_postgres: 5432 }; }) },
  { name: 'SE duplicate port names', rule: 'go/service-entry', message: 'unique', input: () => mutate('ServiceEntry', 'httpbin-external', (r) => { r.spec.ports.push({ number: 8443, name: 'https', protocol: 'TLS' }); }) },
  { name: 'SE endpoint port not an SE port', rule: 'go/service-entry', message: 'not defined', input: () => mutate('ServiceEntry', 'legacy-db', (r) => { r.spec.endpoints[0].ports = { 'tcp-mysql': 3306 }; }) },
  { name: 'SE DNS without endpoints, wildcard host', rule: 'go/service-entry', message: 'FQDN', input: () => mutate('ServiceEntry', 'httpbin-external', (r) => { r.spec.hosts = ['*.httpbin.org']; }) },
  { name: 'SE address not IP', rule: 'go/service-entry', input: () => mutate('ServiceEntry', 'legacy-db', (r) => { r.spec.addresses = ['db.legacy']; }) },
  { name: 'SE multiple hosts with TCP port', rule: 'go/service-entry', message: 'multiple hosts', input: () => mutate('ServiceEntry', 'legacy-db', (r) => { r.spec.hosts = ['db.legacy.internal', 'db2.legacy.internal']; }) },
  { name: 'WE address not IP/FQDN', rule: 'go/workload-entry', input: () => mutate('WorkloadEntry', 'details-vm', (r) => { r.spec.address = 'details vm'; }) },
  { name: 'WE port name invalid', rule: 'go/workload-entry', input: () => mutate('WorkloadEntry', 'details-vm', (r) => { r.spec.ports = { HTTP_PORT: 9080 }; }) },

  // ---- Go validation: security
  { name: 'AP from with empty source', rule: 'go/authz', message: 'must not be empty', input: () => mutate('AuthorizationPolicy', 'productpage-viewer', (r) => { r.spec.rules[0].from = [{ source: {} }]; }) },
  { name: 'AP CUSTOM without provider', rule: 'go/authz', input: () => mutate('AuthorizationPolicy', 'productpage-viewer', (r) => { r.spec.action = 'CUSTOM'; }) },
  { name: 'AP when without values', rule: 'go/authz', input: () => mutate('AuthorizationPolicy', 'productpage-viewer', (r) => { r.spec.rules[0].when = [{ key: 'source.ip' }]; }) },
  { name: 'AP unknown when key', rule: 'go/authz', message: 'unknown attribute', input: () => mutate('AuthorizationPolicy', 'productpage-viewer', (r) => { r.spec.rules[0].when = [{ key: 'request.method', values: ['GET'] }]; }) },
  { name: 'AP DENY without rules', rule: 'go/authz', message: 'without rules', input: () => mutate('AuthorizationPolicy', 'productpage-viewer', (r) => { r.spec.action = 'DENY'; delete r.spec.rules; }) },
  { name: 'AP CUSTOM with principals', rule: 'go/authz', message: 'not supported with CUSTOM', input: () => mutate('AuthorizationPolicy', 'productpage-viewer', (r) => { r.spec.action = 'CUSTOM'; r.spec.provider = { name: 'ext-authz' }; }) },
  { name: 'AP targetRef to a Deployment', rule: 'go/target-ref', input: () => mutate('AuthorizationPolicy', 'productpage-viewer', (r) => { delete r.spec.selector; r.spec.targetRefs = [{ group: 'apps', kind: 'Deployment', name: 'productpage' }]; }) },
  { name: 'AP selector without labels', rule: 'go/selector', input: () => mutate('AuthorizationPolicy', 'productpage-viewer', (r) => { r.spec.selector = {}; }) },
  { name: 'httpCookie without name', rule: 'go/consistent-hash', input: () => mutate('DestinationRule', 'reviews', (r) => { r.spec.subsets[1].trafficPolicy.loadBalancer.consistentHash = { httpCookie: { ttl: '0s' } }; }) },
  { name: 'AP bad port', rule: 'go/authz', input: () => mutate('AuthorizationPolicy', 'productpage-viewer', (r) => { r.spec.rules[0].to[0].operation.ports = ['http']; }) },
  { name: 'PA mtls without mode', rule: 'cfmesh/peer-authentication', input: () => mutate('PeerAuthentication', 'default', (r) => { r.spec.mtls = {}; }) },
  { name: 'PA empty portLevelMtls', rule: 'go/peer-authentication', input: () => mutate('PeerAuthentication', 'default', (r) => { r.spec.selector = { matchLabels: { app: 'x' } }; r.spec.portLevelMtls = {}; }) },

  // ---- cfmesh product rules
  { name: 'weights not summing to 100', rule: 'cfmesh/weight-sum', message: 'got 90', input: () => mutate('VirtualService', 'reviews', (r) => { r.spec.http[1].route[1].weight = 0; }) },
  { name: 'relative weights 9/1', rule: 'cfmesh/weight-sum', input: () => mutate('VirtualService', 'reviews', (r) => { r.spec.http[1].route[0].weight = 9; r.spec.http[1].route[1].weight = 1; }) },
  { name: 'TCP weights not summing to 100', rule: 'cfmesh/weight-sum', input: () => mutate('VirtualService', 'tcp-echo', (r) => { r.spec.tcp[0].route[1].weight = 30; }) },
  { name: 'split with an implicit weight', rule: 'cfmesh/weight', input: () => mutate('VirtualService', 'reviews', (r) => { r.spec.http[1].route[0].weight = 100; delete r.spec.http[1].route[1].weight; }) },
  { name: 'lone destination with weight 37', rule: 'cfmesh/weight-sum', input: () => mutate('VirtualService', 'ratings-fault', (r) => { r.spec.http[0].route[0].weight = 37; }) },
  { name: 'two VSs for one host', rule: 'cfmesh/one-vs-per-host', input: () => plus(vs('reviews-2', { hosts: ['reviews'], http: [{ route: [dest('reviews.bookinfo.svc.cluster.local')] }] })) },
  { name: 'catch-all not last', rule: 'cfmesh/catch-all', message: 'last', input: () => mutate('VirtualService', 'reviews', (r) => { r.spec.http.reverse(); }) },
  { name: 'two catch-alls', rule: 'cfmesh/catch-all', message: 'at most one', input: () => mutate('VirtualService', 'bookinfo', (r) => { r.spec.http.push({ match: [{ uri: { prefix: '/' } }], redirect: { uri: '/' } }); }) },
  { name: 'rule after catch-all unreachable', rule: 'IST0130', path: 'spec.http[1]', input: () => mutate('VirtualService', 'reviews', (r) => { r.spec.http.reverse(); }) },
  { name: 'shorter prefix shadows longer', rule: 'IST0130', path: 'spec.http[1]', input: () => plus(httpVs('api', [
    { match: [{ uri: { prefix: '/api' } }], route: [dest('api-v1')] },
    { match: [{ uri: { prefix: '/api/v2' } }], route: [dest('api-v2')] },
    { route: [dest('web')] },
  ])) },
  { name: 'prefix shadows exact', rule: 'IST0130', input: () => plus(httpVs('api', [
    { match: [{ uri: { prefix: '/api' } }], route: [dest('api-v1')] },
    { match: [{ uri: { exact: '/api/health' } }], route: [dest('health')] },
  ])) },
  { name: 'duplicate match in later rule', rule: 'IST0131', path: 'spec.http[1].match[0]', input: () => plus(httpVs('api', [
    { match: [{ uri: { prefix: '/api' }, headers: { 'x-canary': { exact: 'true' } } }], route: [dest('api-canary')] },
    { match: [{ uri: { prefix: '/api' }, headers: { 'x-canary': { exact: 'true' } } }, { uri: { prefix: '/v2' } }], route: [dest('api-v2')] },
  ])) },

  // ---- cross-resource (istioctl analyze equivalents)
  { name: 'VS gateway not in set', rule: 'IST0101', message: 'gateway', input: () => mutate('VirtualService', 'bookinfo', (r) => { r.spec.gateways = ['missing-gateway']; }) },
  { name: 'VS gateway ns/name in an emitted namespace', rule: 'IST0101', input: () => mutate('VirtualService', 'bookinfo', (r) => { r.spec.gateways = [`${NS}/other-gateway`]; }) },
  { name: 'subset not defined by any DR', rule: 'IST0101', message: 'subset "v3"', input: () => mutate('VirtualService', 'reviews', (r) => { r.spec.http[0].route[0].destination.subset = 'v3'; }) },
  { name: 'subset of a host without DR', rule: 'IST0101', input: () => mutate('VirtualService', 'bookinfo', (r) => { r.spec.http[0].route[0].destination.subset = 'v1'; }) },
  { name: 'VS host not served by gateway', rule: 'IST0132', input: () => mutate('VirtualService', 'bookinfo', (r) => { r.spec.hosts = ['shop.example.org']; }) },
  { name: 'gateway host restricted to another namespace', rule: 'IST0132', input: () => mutate('Gateway', 'bookinfo-gateway', (r) => { r.spec.servers[0].hosts = ['other/bookinfo.example.com']; r.spec.servers[1].hosts = ['other/bookinfo.example.com']; }) },
  { name: 'two gateways with same selector, port and host', rule: 'IST0145', input: () => plus(gw('bookinfo-gateway-2', {
    selector: { istio: 'ingressgateway' },
    servers: [{ port: { number: 443, name: 'https-2', protocol: 'HTTPS' }, hosts: ['bookinfo.example.com'], tls: { mode: 'SIMPLE', credentialName: 'other-cert' } }],
  })) },
  { name: 'two gateways with same selector, port and host, one host written with ./', rule: 'IST0145', input: () => plus(gw('bookinfo-gateway-2', {
    selector: { istio: 'ingressgateway' },
    servers: [{ port: { number: 443, name: 'https-2', protocol: 'HTTPS' }, hosts: ['./x.example.com', 'bookinfo.example.com'], tls: { mode: 'SIMPLE', credentialName: 'other-cert' } }],
  })) },
];

describe('validateIstio', () => {
  it('accepts the valid bookinfo set with zero problems', () => {
    const problems = validateIstio(validSet());
    assert.deepEqual(problems, [], formatProblems(problems));
  });

  it('IST0145 compares hosts as written (Istio 1.30.3 CheckDuplicates): a Gateway for *.example.com beside one for a host under it is no conflict', () => {
    const wildcardBesideExact = (hosts: string[]) =>
      plus(gw('bookinfo-gateway-2', {
        selector: { istio: 'ingressgateway' },
        servers: [{ port: { number: 443, name: 'https-2', protocol: 'HTTPS' }, hosts, tls: { mode: 'SIMPLE', credentialName: 'other-cert' } }],
      }));
    // the set's first Gateway serves bookinfo.example.com and *.apps.example.com on 443
    assert.deepEqual(validateIstio(wildcardBesideExact(['*.example.com'])), []);
    assert.deepEqual(validateIstio(wildcardBesideExact(['shop.apps.example.com'])), []);
    assert.deepEqual(validateIstio(wildcardBesideExact(['other/bookinfo.example.com'])), []);
    assert.deepEqual(validateIstio(wildcardBesideExact(['*.apps.example.com'])).map((p) => p.rule), ['IST0145']);
  });

  it('accepts every served apiVersion', () => {
    for (const v of ['v1', 'v1beta1', 'v1alpha3']) {
      assert.deepEqual(validateIstio(mutate('DestinationRule', 'ratings', (r) => { r.apiVersion = `networking.istio.io/${v}`; })), []);
    }
    assert.deepEqual(validateIstio(mutate('PeerAuthentication', 'default', (r) => { r.apiVersion = 'security.istio.io/v1beta1'; })), []);
  });

  it('accepts other valid shapes (delegate, gateway-bound *, external gateway ref, TLS passthrough)', () => {
    const extra = [
      gw('passthrough', {
        selector: { istio: 'egressgateway' },
        servers: [{ port: { number: 443, name: 'tls', protocol: 'TLS' }, hosts: ['./*.partner.example.com'], tls: { mode: 'PASSTHROUGH' } }],
      }),
      vs('partner', {
        hosts: ['api.partner.example.com'],
        gateways: ['passthrough'],
        tls: [{ match: [{ sniHosts: ['api.partner.example.com'], port: 443 }], route: [dest('api.partner.example.com', 100)] }],
      }),
      vs('catch-everything', {
        hosts: ['*'],
        gateways: ['istio-system/public-gateway'],
        http: [{ route: [dest('web.bookinfo.svc.cluster.local')] }],
      }),
    ];
    const problems = validateIstio(plus(...extra));
    assert.deepEqual(problems, [], formatProblems(problems));
  });

  for (const c of CASES) {
    it(`rejects: ${c.name} [${c.rule}]`, () => {
      const problems = validateIstio(c.input());
      const hit = problems.find(
        (p: Problem) => p.rule === c.rule && (c.path === undefined || p.path.includes(c.path)) && (c.message === undefined || p.message.includes(c.message)),
      );
      assert.ok(hit, `expected a ${c.rule} problem${c.path ? ` at *${c.path}*` : ''}${c.message ? ` with "${c.message}"` : ''}; got:\n${formatProblems(problems) || '  (none)'}`);
    });
  }

  it('ignores undefined-valued keys (they are not serialised)', () => {
    const set = mutate('VirtualService', 'reviews', (r) => { r.spec.exportTo = undefined; r.metadata.annotations = undefined; });
    assert.deepEqual(validateIstio(set), []);
  });

  it('reports non-Istio kinds unless ignoreNonIstioKinds is set', () => {
    const svc = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'reviews', namespace: NS, labels }, spec: { ports: [{ port: 9080 }] } } as Resource;
    assert.ok(validateIstio(plus(svc)).some((p) => p.rule === 'meta/kind'));
    assert.deepEqual(validateIstio(plus(svc), { ignoreNonIstioKinds: true }), []);
  });

  it('has at least one failing input for every rule id the checker can report', async () => {
    const { readFileSync } = await import('node:fs');
    const sources = ['./validate-istio.ts', './crd-schema.ts'].map((f) => readFileSync(new URL(f, import.meta.url), 'utf8')).join('\n');
    const ids = new Set([...sources.matchAll(/'((?:go|cfmesh|meta)\/[a-z0-9-]+|IST\d{4}|cel)'/g)].map((m) => m[1]));
    const covered = new Set(CASES.map((c) => c.rule));
    const missing = [...ids].filter((id) => id !== undefined && !covered.has(id) && id !== 'cel/unimplemented');
    assert.deepEqual(missing, [], `rules without a test case: ${missing.join(', ')}`);
  });

  it('every problem names a resource id, a path, a rule and a message', () => {
    const problems = validateIstio(mutate('VirtualService', 'reviews', (r) => { r.spec.http[1].timeout = '0s'; r.spec.bogus = true; }));
    assert.ok(problems.length >= 2);
    for (const p of problems) {
      assert.equal(p.id, 'VirtualService/bookinfo/reviews');
      assert.ok(p.path.length > 0 && p.rule.length > 0 && p.message.length > 0);
    }
  });
});

describe('assertValidIstio', () => {
  it('passes silently on a valid set', () => {
    assertValidIstio(validSet());
  });
  it('throws an AssertionError listing all problems', () => {
    const bad = mutate('VirtualService', 'reviews', (r) => { r.spec.http[1].route[1].weight = 0; r.spec.hosts = ['*']; });
    assert.throws(() => assertValidIstio(bad), (e: unknown) => {
      assert.ok(e instanceof AssertionError);
      assert.match(e.message, /cfmesh\/weight-sum/);
      assert.match(e.message, /go\/host/);
      assert.match(e.message, /VirtualService\/bookinfo\/reviews spec\.hosts\[0\]/);
      return true;
    });
  });
});

describe('CRD data and helpers', () => {
  it('implements every CEL rule present in the CRD schemas', () => {
    assert.deepEqual(unimplementedCelRules(), []);
  });
  it('carries the pinned upstream source and the expected kinds/versions', () => {
    const data = crdData();
    assert.equal(data.source['tag'], '1.30.3');
    assert.equal(data.source['commit'], '56df41f63e513f834c9a3af33d8aed82d1d961f2');
    assert.deepEqual(Object.keys(data.kinds).sort(), ['AuthorizationPolicy', 'DestinationRule', 'Gateway', 'PeerAuthentication', 'ServiceEntry', 'Sidecar', 'VirtualService', 'WorkloadEntry']);
    assert.deepEqual([...(data.kinds['VirtualService']?.servedVersions ?? [])].sort(), ['v1', 'v1alpha3', 'v1beta1']);
    assert.deepEqual([...(data.kinds['PeerAuthentication']?.servedVersions ?? [])].sort(), ['v1', 'v1beta1']);
  });
  it('parses Go durations', () => {
    const table: [string, bigint | undefined][] = [
      ['10s', 10_000_000_000n], ['1.5s', 1_500_000_000n], ['250ms', 250_000_000n], ['1m30s', 90_000_000_000n],
      ['1h', 3_600_000_000_000n], ['0', 0n], ['500us', 500_000n], ['-1s', -1_000_000_000n],
      ['10', undefined], ['', undefined], ['1d', undefined], ['s', undefined], ['1.s', 1_000_000_000n],
    ];
    for (const [text, ns] of table) assert.equal(parseGoDuration(text), ns, text);
  });
  it('host helpers follow Istio semantics', () => {
    assert.equal(wildcardDomainError('*.example.com'), undefined);
    assert.equal(wildcardDomainError('*foo.example.com'), undefined);
    assert.notEqual(wildcardDomainError('foo.*.example.com'), undefined);
    assert.notEqual(wildcardDomainError('a..b'), undefined);
    assert.ok(hostsOverlap('*.example.com', 'a.example.com'));
    assert.ok(hostsOverlap('*', 'anything.example.com'));
    assert.ok(!hostsOverlap('a.example.com', 'b.example.com'));
  });
  it('route-ordering helpers', () => {
    assert.ok(isCatchAll({ route: [] }));
    assert.ok(isCatchAll({ match: [{ uri: { prefix: '/' } }] }));
    assert.ok(!isCatchAll({ match: [{ uri: { prefix: '/' }, headers: { a: { exact: 'b' } } }] }));
    assert.ok(matchCovers({ uri: { prefix: '/api' } }, { uri: { prefix: '/api/v1' }, method: { exact: 'GET' } }));
    assert.ok(!matchCovers({ uri: { prefix: '/api/v1' } }, { uri: { prefix: '/api' } }));
    assert.ok(!matchCovers({ uri: { prefix: '/api' }, headers: { x: { exact: '1' } } }, { uri: { prefix: '/api/v1' } }));
    assert.ok(matchCovers({ uri: { prefix: '/API' }, ignoreUriCase: true }, { uri: { prefix: '/api/v1' } }));
    assert.ok(!matchCovers({ uri: { regex: '/a.*' } }, { uri: { prefix: '/a' } }));
  });
  it('is fast after the first call (validators compiled once)', () => {
    validateIstio(validSet());
    const t0 = performance.now();
    for (let i = 0; i < 20; i++) validateIstio(validSet());
    assert.ok(performance.now() - t0 < 2000, 'validating the fixture set 20x should take well under 2s');
  });
});

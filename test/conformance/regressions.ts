// Regression cases: one per traffic defect of issue 11 ("Wrong traffic"), item number first. Each
// is pinned with the gorouter model and run through cfmesh's output by conformance.test.ts (Istio)
// and gateway-api.test.ts (Gateway API, with its documented deviations).
import type { CaseOptions } from './check.ts';
import type { GeneratedRequest } from './generator.ts';
import type { ManifestDesc, RequestDesc } from './manifest-desc.ts';

export type Expected = Readonly<Record<string, number>>;

export interface RegressionCase {
  readonly item: string;
  readonly name: string;
  readonly manifest: ManifestDesc;
  readonly options?: CaseOptions;
  readonly requests: readonly { readonly request: GeneratedRequest; readonly expected: Expected }[];
}

export const get = (host: string, target: string, method = 'GET', headers: Record<string, string> = {}): RequestDesc => ({ kind: 'http', method, host, target, headers });
export const served = (app: string, port = 8080): Expected => ({ [`app:${app}:${port}`]: 1 });
export const status = (code: number): Expected => ({ [`status:${code}`]: 1 });

export const getTls = (host: string, target: string, method = 'GET'): RequestDesc => ({ kind: 'http', method, host, target, headers: {}, scheme: 'https' });

export const REGRESSIONS: readonly RegressionCase[] = [
  {
    item: '2',
    name: "over HTTPS, a host's own routes win over a wildcard's that has tls too (one Gateway per HTTPS server)",
    manifest: {
      apps: [
        { name: 'www', routes: [{ route: 'www.example.com/v1', controls: { tls: { credentialName: 'www-cert', httpsRedirect: false } } }] },
        { name: 'star', routes: [{ route: '*.example.com', controls: { methods: ['PUT'], tls: { credentialName: 'star-cert', httpsRedirect: true } } }] },
      ],
      routes: [],
    },
    requests: [
      { request: getTls('www.example.com', '/v1'), expected: served('www') },
      { request: getTls('www.example.com', '/other', 'PUT'), expected: served('star') },
      { request: getTls('x.example.com', '/'), expected: status(405) },
      { request: get('x.example.com', '/'), expected: status(301) },
      { request: get('www.example.com', '/v1'), expected: served('www') },
    ],
  },
  {
    item: '2',
    name: "a tls host without running routes: its HTTPS server serves the wildcard's routes, as gorouter falls back",
    manifest: {
      apps: [
        { name: 'idle', instances: 0, routes: [{ route: '*.b.example.com', controls: { tls: { credentialName: 'b-cert', httpsRedirect: false } } }] },
        { name: 'star', routes: [{ route: '*.example.com' }] },
      ],
      routes: [],
    },
    requests: [
      { request: getTls('foo.b.example.com', '/'), expected: served('star') },
      { request: getTls('foo.example.com', '/'), expected: { refused: 1 } },
    ],
  },
  {
    item: '1',
    name: '`methods` on one HTTP route does not refuse TCP connections to other routes',
    manifest: {
      apps: [
        { name: 'api', routes: [{ route: 'api.example.com/v1', controls: { methods: ['GET'] } }] },
        { name: 'db', routes: [{ route: 'db.example.com:5432' }] },
      ],
      routes: [],
    },
    requests: [
      { request: { kind: 'tcp', port: 5432 }, expected: served('db') },
      { request: get('api.example.com', '/v1'), expected: served('api') },
      { request: get('api.example.com', '/v1', 'POST'), expected: status(405) },
    ],
  },
  {
    item: '1',
    name: "a wildcard route's `methods` do not reach a host with routes of its own",
    manifest: {
      apps: [
        { name: 'web', routes: [{ route: '*.example.com', controls: { methods: ['GET'] } }] },
        { name: 'api', routes: [{ route: 'api.example.com' }] },
      ],
      routes: [],
    },
    requests: [
      { request: get('api.example.com', '/', 'POST'), expected: served('api') },
      { request: get('x.example.com', '/', 'POST'), expected: status(405) },
      { request: get('x.example.com', '/'), expected: served('web') },
    ],
  },
  {
    item: '1',
    name: '`methods` hold with a port in the Host header and in any letter case',
    manifest: {
      apps: [
        { name: 'web', routes: [{ route: '*.example.com', controls: { methods: ['GET'] } }] },
        { name: 'api', routes: [{ route: 'api.example.org/v1', controls: { methods: ['GET'] } }] },
      ],
      routes: [],
    },
    requests: [
      { request: get('x.example.com:80', '/', 'POST'), expected: status(405) },
      { request: get('X.Example.COM:8080', '/a', 'DELETE'), expected: status(405) },
      { request: get('API.example.org', '/V1', 'POST'), expected: status(405) },
      { request: get('api.example.org:80', '/v1/x/', 'PUT'), expected: status(405) },
    ],
  },
  {
    item: '1',
    name: 'a literal `*` in a path is no wildcard for `methods`',
    manifest: {
      apps: [
        { name: 'web', routes: [{ route: 'api.example.com' }] },
        { name: 'api', routes: [{ route: 'api.example.com/v*', controls: { methods: ['GET'] } }] },
      ],
      routes: [],
    },
    requests: [
      { request: get('api.example.com', '/version', 'POST'), expected: served('web') },
      { request: get('api.example.com', '/v*', 'POST'), expected: status(405) },
    ],
  },
  {
    item: '2',
    name: "a host's request that matches none of its paths falls back to the wildcard route",
    manifest: {
      apps: [
        { name: 'api', routes: [{ route: 'api.example.com/v1' }] },
        { name: 'web', routes: [{ route: '*.example.com' }] },
      ],
      routes: [],
    },
    requests: [
      { request: get('api.example.com', '/other'), expected: served('web') },
      { request: get('api.example.com', '/v1/x'), expected: served('api') },
      { request: get('api.example.com', '/v1ary'), expected: served('web') },
      { request: get('a.b.example.com', '/v1'), expected: served('web') },
    ],
  },
  {
    item: '2',
    name: "a wildcard route's https-redirect does not redirect a host with routes of its own",
    manifest: {
      apps: [
        { name: 'web', routes: [{ route: '*.example.com', controls: { tls: { credentialName: 'wild', httpsRedirect: true } } }] },
        { name: 'api', routes: [{ route: 'api.example.com' }] },
      ],
      routes: [],
    },
    requests: [
      { request: get('api.example.com', '/'), expected: served('api') },
      { request: get('foo.example.com', '/'), expected: status(301) },
    ],
  },
  {
    item: '3',
    name: 'paths match without letter case',
    manifest: { apps: [{ name: 'api', routes: [{ route: 'api.example.com/docs' }] }], routes: [] },
    requests: [
      { request: get('api.example.com', '/Docs'), expected: served('api') },
      { request: get('api.example.com', '/DOCS/x'), expected: served('api') },
      { request: get('api.example.com', '/docsx'), expected: status(404) },
    ],
  },
  {
    item: '3',
    name: 'one trailing slash is not significant: `/docs` and `/Docs/` are one route whose apps share traffic',
    manifest: {
      apps: [
        { name: 'api', routes: [{ route: 'api.example.com/docs' }] },
        { name: 'web', routes: [{ route: 'api.example.com/Docs/' }] },
      ],
      routes: [],
    },
    requests: [
      { request: get('api.example.com', '/docs'), expected: { 'app:api:8080': 0.5, 'app:web:8080': 0.5 } },
      { request: get('api.example.com', '/docs/'), expected: { 'app:api:8080': 0.5, 'app:web:8080': 0.5 } },
      { request: get('api.example.com', '/DOCS/a'), expected: { 'app:api:8080': 0.5, 'app:web:8080': 0.5 } },
    ],
  },
  {
    item: '3',
    name: 'a route written with a trailing slash matches the path without one',
    manifest: { apps: [{ name: 'api', routes: [{ route: 'api.example.com/docs/' }] }], routes: [] },
    requests: [
      { request: get('api.example.com', '/docs'), expected: served('api') },
      { request: get('api.example.com', '/docs/a'), expected: served('api') },
    ],
  },
  {
    item: '3',
    name: 'percent-encoded paths are valid and matched in escaped form',
    manifest: { apps: [{ name: 'api', routes: [{ route: 'shop.example.com/caf%C3%A9' }] }], routes: [] },
    requests: [
      { request: get('shop.example.com', '/caf%C3%A9'), expected: served('api') },
      { request: get('shop.example.com', '/caf%c3%a9/menu'), expected: served('api') },
      { request: get('shop.example.com', '/CAF%C3%A9'), expected: served('api') },
      { request: get('shop.example.com', '/caf%C3%A9s'), expected: status(404) },
    ],
  },
  {
    item: '4',
    name: 'a path route without running instances leaves its requests to the less specific route',
    manifest: {
      apps: [
        { name: 'web', routes: [{ route: 'api.example.com' }] },
        { name: 'api', instances: 0, routes: [{ route: 'api.example.com/api' }] },
        { name: 'docs', processes: [{ type: 'web', instances: 0 }], routes: [{ route: '*.example.org' }] },
        { name: 'shop', routes: [{ route: 'shop.example.org' }] },
      ],
      routes: [],
    },
    requests: [
      { request: get('api.example.com', '/api/x'), expected: served('web') },
      { request: get('api.example.com', '/api'), expected: served('web') },
      { request: get('x.example.org', '/'), expected: status(404) },
    ],
  },
  {
    item: '4',
    name: 'a weighted destination without instances serves nothing',
    manifest: {
      apps: [{ name: 'v1', instances: 2 }, { name: 'v2', instances: 0 }],
      routes: [{ route: 'reviews.example.com', destinations: [{ name: 'v1', weight: 90 }, { name: 'v2', weight: 10 }] }],
    },
    requests: [{ request: get('reviews.example.com', '/'), expected: served('v1') }],
  },
  {
    item: '5',
    name: "a `web` process replaces the app's instances wholesale (CC), and shares follow",
    manifest: {
      apps: [
        { name: 'api', instances: 3, processes: [{ type: 'web' }], routes: [{ route: 'api.example.com' }] },
        { name: 'web', instances: 1, routes: [{ route: 'api.example.com' }] },
        { name: 'shop', instances: 5, processes: [{ type: 'web', instances: 1 }, { type: 'worker', instances: 3 }], routes: [{ route: 'shop.example.com' }] },
        { name: 'cart', instances: 1, routes: [{ route: 'shop.example.com' }] },
        { name: 'pay', instances: 0, processes: [{ type: 'web', instances: 2 }], routes: [{ route: 'pay.example.com' }] },
      ],
      routes: [],
    },
    requests: [
      { request: get('api.example.com', '/'), expected: { 'app:api:8080': 0.5, 'app:web:8080': 0.5 } },
      { request: get('shop.example.com', '/'), expected: { 'app:shop:8080': 0.5, 'app:cart:8080': 0.5 } },
      { request: get('pay.example.com', '/'), expected: served('pay') },
    ],
  },
  {
    item: '5',
    name: 'the same app twice on one route with different ports is two destinations',
    manifest: {
      apps: [{ name: 'api', instances: 1 }, { name: 'web', instances: 1 }],
      routes: [{ route: 'api.example.com', destinations: [{ name: 'api' }, { name: 'api', port: 9001 }, { name: 'web' }] }],
    },
    requests: [{ request: get('api.example.com', '/'), expected: { 'app:api:8080': 1 / 3, 'app:api:9001': 1 / 3, 'app:web:8080': 1 / 3 } }],
  },
  {
    item: '8',
    name: 'a host template outside the cluster still reaches the app (a host in no registry answers 503)',
    manifest: { apps: [{ name: 'web', instances: 2, routes: [{ route: 'web.example.com' }] }], routes: [] },
    options: { serviceHostTemplate: '{app}.service.consul' },
    requests: [{ request: get('web.example.com', '/'), expected: served('web') }],
  },
  {
    item: '11',
    name: 'gateway pods labelled by the istio/gateway Helm chart (`istio: ingress`) serve the routes',
    manifest: { apps: [{ name: 'web', routes: [{ route: 'web.example.com' }] }], routes: [] },
    options: { gatewayLabels: { istio: 'ingress', app: 'istio-ingress' }, gatewaySelector: { istio: 'ingress' } },
    requests: [{ request: get('web.example.com', '/'), expected: served('web') }],
  },
];


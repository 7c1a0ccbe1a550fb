// fast-check generators for cf manifests that cfmesh must accept, and mutations that turn any
// manifest text into something it may not. Generated manifests are built as data and rendered with
// the yaml library, so every one is well-formed YAML; validity comes from the generator's rules.
import fc from 'fast-check';
import { stringify } from 'yaml';

export interface GeneratedCase {
  /** The manifest text. */
  readonly manifest: string;
  /** Extra arguments after `-f FILE` (--var, --vars-file vars.yml, --default-domain). */
  readonly args: readonly string[];
  /** Content of vars.yml when `args` names it. */
  readonly varsFile?: string | undefined;
}

const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?$/);
// cf app names: anything printable; these include characters a Kubernetes name cannot hold.
const appName = fc.oneof(
  fc.stringMatching(/^[a-z][a-z0-9-]{0,14}$/),
  fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,30}$/),
  fc.constantFrom('reviews-v1', 'Reviews_V2', 'app.with.dots', 'a', '0', 'x'.repeat(70)),
);
const domain = fc.constantFrom('example.com', 'example.org', 'Shop.Example.NET', 'apps.internal', 'a-b.example.co.uk');
const path = fc.stringMatching(/^(\/[a-z0-9_~-]{1,8}){1,3}\/?$/);
// Ports the gateway proxy uses itself are refused (routing/tcp-ports.ts RESERVED_GATEWAY_PORTS).
const tcpPort = fc.integer({ min: 1024, max: 65535 }).filter((p) => !(p >= 15000 && p <= 15090));

interface AppSpec {
  name: string;
  instances: number | undefined;
  port: number | undefined;
  routes: string[];
  viaVar: boolean;
}

const appRoute = fc.oneof(
  // Cloud Controller refuses paths on internal domains.
  { weight: 4, arbitrary: fc.tuple(label, domain, fc.option(path, { nil: undefined })).map(([h, d, p]) => `${h}.${d}${d === 'apps.internal' ? '' : (p ?? '')}`) },
  { weight: 1, arbitrary: fc.tuple(label, tcpPort).map(([h, port]) => `${h}.tcp.example.com:${port}`) },
);

const appSpec: fc.Arbitrary<Omit<AppSpec, 'name'>> = fc.record({
  instances: fc.option(fc.nat(5), { nil: undefined }),
  port: fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }),
  routes: fc.array(appRoute, { maxLength: 3 }),
  viaVar: fc.boolean(),
});

/** Integers 0..100 that sum to exactly 100: cut [0, 100] at k-1 points. */
function weights(k: number): fc.Arbitrary<number[]> {
  return fc.array(fc.integer({ min: 0, max: 100 }), { minLength: k - 1, maxLength: k - 1 }).map((cuts) => {
    const points = [0, ...cuts.sort((a, b) => a - b), 100];
    return points.slice(1).map((p, i) => p - (points[i] as number));
  });
}

/** A valid manifest: unique app names, routes cf accepts, weighted routes summing to 100, ((vars)) filled. */
export const validManifest: fc.Arbitrary<GeneratedCase> = fc
  .uniqueArray(appName, { minLength: 1, maxLength: 6 })
  .chain((names) =>
    fc.tuple(
      fc.constant(names),
      fc.array(appSpec, { minLength: names.length, maxLength: names.length }),
      fc.array(
        fc.record({
          host: label,
          domain,
          path: fc.option(path, { nil: undefined }),
          tcp: fc.option(tcpPort, { nil: undefined }),
          picks: fc.uniqueArray(fc.nat(names.length - 1), { minLength: 1, maxLength: names.length }),
          seed: fc.nat(),
          destPort: fc.option(fc.integer({ min: 1024, max: 65535 }), { nil: undefined }),
          http2: fc.boolean(),
        }),
        { maxLength: 3 },
      ),
      fc.boolean(),
      fc.boolean(),
    ),
  )
  .chain(([names, specs, routes, useVarsFile, defaultDomain]) =>
    fc.tuple(fc.constant({ names, specs, routes, useVarsFile, defaultDomain }), fc.tuple(...routes.map((r) => weights(r.picks.length)))),
  )
  .map(([{ names, specs, routes, useVarsFile, defaultDomain }, allWeights]) => {
    const args: string[] = [];
    const vars: Record<string, unknown> = {};
    // A TCP port on the gateway serves one route (two hosts on one port are a ROUTE_CONFLICT).
    const tcpOwners = new Map<string, string>();
    const claimsPort = (route: string): boolean => {
      const m = /:(\d+)$/.exec(route);
      if (!m) return true;
      const owner = tcpOwners.get(m[1] as string);
      if (owner !== undefined && owner !== route.toLowerCase()) return false;
      tcpOwners.set(m[1] as string, route.toLowerCase());
      return true;
    };
    const applications = names.map((name, i) => {
      const spec = specs[i] as Omit<AppSpec, 'name'>;
      const app: Record<string, unknown> = { name };
      if (spec.instances !== undefined) {
        if (spec.viaVar) {
          app['instances'] = `((instances_${i}))`;
          if (useVarsFile) vars[`instances_${i}`] = spec.instances;
          else args.push('--var', `instances_${i}=${spec.instances}`);
        } else app['instances'] = spec.instances;
      }
      if (spec.port !== undefined) app['port'] = spec.port;
      const appRoutes = spec.routes.filter(claimsPort);
      if (appRoutes.length > 0) {
        app['routes'] = appRoutes.map((route, j) => {
          if (spec.viaVar && j === 0 && !route.includes(':')) {
            const [host, ...rest] = route.split('.');
            // prefixed so that the value never reads as a YAML 1.1 bool or number (`y`, `1e3`) in --var
            vars[`host_${i}`] = `h${host}`;
            return { route: `((host_${i})).${rest.join('.')}` };
          }
          return { route };
        });
      }
      return app;
    });
    const seen = new Set<string>();
    const topRoutes: Record<string, unknown>[] = [];
    routes.forEach((r, i) => {
      // Hosts of weighted routes start with w<i>- so no app maps them without being a destination.
      const route = r.tcp !== undefined ? `w${i}-${r.host}.tcp.example.com:${r.tcp}` : `w${i}-${r.host}.${r.domain}${r.domain === 'apps.internal' ? '' : (r.path ?? '')}`;
      const key = route.toLowerCase();
      if (seen.has(key) || !claimsPort(route)) return;
      seen.add(key);
      const ws = allWeights[i] as number[];
      const destinations = r.picks.map((pick, j) => {
        const d: Record<string, unknown> = { name: names[pick], weight: ws[j] };
        if (j === 0 && r.destPort !== undefined) d['port'] = r.destPort;
        if (j === 0 && r.tcp === undefined && r.http2) d['protocol'] = 'http2';
        return d;
      });
      topRoutes.push({ route, destinations });
    });
    const manifest: Record<string, unknown> = { applications };
    if (topRoutes.length > 0) manifest['routes'] = topRoutes;
    // Host vars always come from a vars file or --var; without a vars file they go on the command line.
    let varsFile: string | undefined;
    if (useVarsFile && Object.keys(vars).length > 0) {
      varsFile = stringify(vars, { version: '1.1' });
      args.push('--vars-file', 'vars.yml');
    } else {
      for (const [k, v] of Object.entries(vars)) if (!args.includes(`${k}=${String(v)}`)) args.push('--var', `${k}=${String(v)}`);
    }
    // An app without routes gets <name>.<default domain>, which only works for names that are host labels.
    const routeless = applications.filter((a) => a['routes'] === undefined).map((a) => a['name'] as string);
    if (defaultDomain && routeless.every((n) => /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(n))) args.push('--default-domain', 'apps.example.com');
    return { manifest: stringify(manifest, { version: '1.1', lineWidth: 0 }), args, varsFile };
  });

/** Replacement scalars: wrong types, YAML 1.1 oddities, YAML syntax, vars, huge numbers. */
export const hostileScalar = fc.constantFrom(
  '-1', '0', '1e400', '99999999999999999999', '.nan', '.inf', '~', 'null', '[]', '{}', '[1, 2]', '{a: 1}', '""', "''",
  'yes', 'no', 'on', 'true', '0x1F', '0o17', '017', '1_000', '2001-12-14', '!!binary aGVsbG8=', '!!str 1', '!!int x',
  '*nope', '&a', '&a x', '<<', '<<: 1', '((v))', '((a.b))', '((!x))', 'a:b', ': x', '- x', '|', '>', '"unterminated',
  "'unterminated", '#', '%', '@x', '`x', '\t', 'bücher.example.com', 'ex ample.com', 'a..b.com', '*.example.com',
  'http://x.example.com', 'tcp://x.example.com', 'x.example.com:0', 'x.example.com:99999', 'x.example.com/', 'x.example.com/a?b',
  '../../etc/passwd', '/etc/passwd', 'x'.repeat(300), '\u2028', '\u00a0', '\ufeff',
);

export type Mutation =
  | { kind: 'delete-line'; at: number }
  | { kind: 'swap-lines'; at: number; with: number }
  | { kind: 'duplicate-line'; at: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'flip-byte'; at: number; bit: number }
  | { kind: 'set-byte'; at: number; value: number }
  | { kind: 'scalar'; at: number; value: string }
  | { kind: 'indent'; at: number; delta: number }
  | { kind: 'insert'; at: number; text: string };

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('delete-line' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('swap-lines' as const), at: fc.nat(), with: fc.nat() }),
  fc.record({ kind: fc.constant('duplicate-line' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('flip-byte' as const), at: fc.nat(), bit: fc.nat(7) }),
  fc.record({ kind: fc.constant('set-byte' as const), at: fc.nat(), value: fc.constantFrom(0x00, 0x09, 0x0a, 0x0d, 0x22, 0x27, 0x23, 0x26, 0x2a, 0x3a, 0x5b, 0x7b, 0x7c, 0x80, 0xc3, 0xff) }),
  fc.record({ kind: fc.constant('scalar' as const), at: fc.nat(), value: hostileScalar }),
  fc.record({ kind: fc.constant('indent' as const), at: fc.nat(), delta: fc.integer({ min: -4, max: 4 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.oneof(fc.string({ maxLength: 8 }), hostileScalar) }),
);

/** Applies mutations to bytes (line operations work on the UTF-8 text, byte operations on bytes). */
export function mutate(input: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  let bytes = input;
  for (const m of mutations) {
    if (m.kind === 'flip-byte' || m.kind === 'set-byte' || m.kind === 'truncate') {
      if (bytes.length === 0) continue;
      const at = m.at % bytes.length;
      if (m.kind === 'truncate') {
        bytes = bytes.subarray(0, at);
        continue;
      }
      const copy = Uint8Array.from(bytes);
      copy[at] = m.kind === 'flip-byte' ? (copy[at] as number) ^ (1 << m.bit) : m.value;
      bytes = copy;
      continue;
    }
    const text = Buffer.from(bytes).toString('utf8');
    const lines = text.split('\n');
    const i = m.at % lines.length;
    switch (m.kind) {
      case 'delete-line':
        lines.splice(i, 1);
        break;
      case 'swap-lines': {
        const j = m.with % lines.length;
        [lines[i], lines[j]] = [lines[j] as string, lines[i] as string];
        break;
      }
      case 'duplicate-line':
        lines.splice(i, 0, lines[i] as string);
        break;
      case 'scalar': {
        const line = lines[i] as string;
        const colon = line.indexOf(': ');
        const dash = /^\s*- /.exec(line);
        if (colon !== -1) lines[i] = `${line.slice(0, colon + 2)}${m.value}`;
        else if (dash) lines[i] = `${dash[0]}${m.value}`;
        else lines[i] = m.value;
        break;
      }
      case 'indent': {
        const line = lines[i] as string;
        lines[i] = m.delta >= 0 ? `${' '.repeat(m.delta)}${line}` : line.replace(new RegExp(`^ {0,${-m.delta}}`), '');
        break;
      }
      case 'insert': {
        const offset = m.at % (text.length + 1);
        bytes = Buffer.from(`${text.slice(0, offset)}${m.text}${text.slice(offset)}`, 'utf8');
        continue;
      }
    }
    bytes = Buffer.from(lines.join('\n'), 'utf8');
  }
  return bytes;
}

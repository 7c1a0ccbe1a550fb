/**
 * The wildcard hosts a request for `fqdn` falls back to when none of the host's own routes matches,
 * most specific first, as gorouter walks them (gorouter 5174c184, pinned by routing-release
 * v0.317.0: `registry/registry.go` `lookup` calls `route/uris.go` `NextWildcard` until a pool
 * matches: `a.b.example.com` → `*.b.example.com` → `*.example.com` → `*.com`). A wildcard host
 * itself continues from its suffix: `*.b.example.com` → `*.example.com` → `*.com`.
 */
export function wildcardChain(fqdn: string): string[] {
  const out: string[] = [];
  let rest = fqdn.startsWith('*.') ? fqdn.slice(2) : fqdn;
  for (;;) {
    const dot = rest.indexOf('.');
    if (dot < 0) return out;
    rest = rest.slice(dot + 1);
    out.push(`*.${rest}`);
  }
}

/** Whether `fqdn` falls back to the wildcard host `wildcard` (`*.S`): it lies below S. */
export function fallsBackTo(fqdn: string, wildcard: string): boolean {
  return wildcard.startsWith('*.') && fqdn !== wildcard && fqdn.endsWith(wildcard.slice(1));
}

/**
 * Whether every request under route path `path` is caught by a route with path `other` of a level
 * gorouter tries first (the host's own routes before its wildcard's: registry.go `lookup`; a pool
 * matches a request path that is its path or lies below it, element-wise, route/pool.go and
 * registry/container/trie.go): `path` is `other` or lies below it; a route without a path catches
 * everything. A fallback route so caught is unreachable for the host, and a target leaves it out.
 */
export function caughtBy(path: string | undefined, other: string | undefined): boolean {
  if (other === undefined) return true;
  return path !== undefined && (path === other || path.startsWith(`${other}/`));
}

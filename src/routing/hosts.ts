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

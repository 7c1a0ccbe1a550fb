const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * A valid Kubernetes object name derived from `raw`, deterministically: `raw` itself when it already
 * is one (a lowercased FQDN is), otherwise a cleaned-up form plus 8 hex digits of its SHA-256, so
 * two different inputs never end up with the same name.
 */
export function objectName(raw: string, kind: 'subdomain' | 'label' = 'subdomain'): string {
  const max = kind === 'label' ? 63 : 253;
  const pattern = kind === 'label' ? LABEL : SUBDOMAIN;
  if (raw.length <= max && pattern.test(raw)) return raw;
  const allowed = kind === 'label' ? /[^a-z0-9-]+/g : /[^a-z0-9.-]+/g;
  let base = raw
    .toLowerCase()
    .replace(/\*/g, 'wildcard')
    .replace(allowed, '-')
    .replace(/\.{2,}/g, '.')
    .replace(/-*\.-*/g, '.')
    .replace(/^[-.]+|[-.]+$/g, '');
  base = base.slice(0, max - 9).replace(/[-.]+$/g, '');
  // node:crypto is loaded here, on the rare name that needs a hash, not at start-up (~3 ms)
  const hash = process.getBuiltinModule('node:crypto').createHash('sha256').update(raw).digest('hex').slice(0, 8);
  return base ? `${base}-${hash}` : `x-${hash}`;
}

/** A DNS-1123 label for a host built from an app name (a Kubernetes Service name must be one). */
export function dnsLabel(raw: string): string {
  return objectName(raw, 'label');
}

/** Whether a name may be one objectName made with a hash (`x-1a2b3c4d`): then another raw name may give it. */
export function mayBeHashed(name: string): boolean {
  return /-[0-9a-f]{8}$/.test(name);
}

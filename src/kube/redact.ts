/**
 * Secrets never leave the client: every message built from a server body, an exec plugin's output or an
 * undici error passes through a Redactor first. It knows the exact secret values this client has seen
 * (tokens, passwords, the basic-auth header value, key PEMs) and also masks anything shaped like an
 * Authorization header value or a private key, so a server that echoes request headers back cannot leak them.
 */
export class Redactor {
  readonly #secrets = new Set<string>();

  add(secret: string | undefined): void {
    // Very short values would mask ordinary words; no real credential is that short.
    if (secret !== undefined && secret.length >= 4) this.#secrets.add(secret);
  }

  redact(text: string): string {
    let out = text;
    for (const s of this.#secrets) out = out.split(s).join('[REDACTED]');
    out = out.replace(/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g, '[REDACTED PRIVATE KEY]');
    out = out.replace(/\b(Bearer|Basic)(\s+|%20)[A-Za-z0-9._~+/=:%-]+/gi, '$1 [REDACTED]');
    out = out.replace(/("?(?:authorization|token|password|client-key-data|clientKeyData)"?\s*[:=]\s*"?)[^\s",}]+/gi, '$1[REDACTED]');
    return out;
  }
}

/** A short, single-paragraph excerpt of a body for an error message (never the whole body). */
export function excerpt(text: string, max = 300): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

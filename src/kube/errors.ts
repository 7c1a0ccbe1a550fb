import { ToolError } from '../diagnostics/tool-error.ts';
import { excerpt, type Redactor } from './redact.ts';

/** The Kubernetes `Status` object (apimachinery meta/v1), as far as we read it. */
export interface KubeStatus {
  readonly kind?: string;
  readonly status?: string;
  readonly message?: string;
  readonly reason?: string;
  readonly code?: number;
  readonly details?: {
    readonly name?: string;
    readonly group?: string;
    readonly kind?: string;
    readonly causes?: readonly { readonly reason?: string; readonly message?: string; readonly field?: string }[];
    readonly retryAfterSeconds?: number;
  };
}

export function parseStatus(body: string): KubeStatus | undefined {
  try {
    const v: unknown = JSON.parse(body);
    if (v && typeof v === 'object' && (v as { kind?: unknown }).kind === 'Status') return v as KubeStatus;
  } catch {
    // not JSON: a proxy's page or the apiserver's plain-text not-found handler
  }
  return undefined;
}

/** An attempt that got no answer in time: a network failure with its code, as undici's errors carry theirs. */
export class AttemptTimeout extends Error {
  readonly code = 'TIMEOUT';
}

/** Which undici / Node error code an error carries (undici nests the socket error in `cause`). */
export function errorCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; depth < 4 && e && typeof e === 'object'; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code !== 'UND_ERR' && code !== 'ERR_ASSERTION') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

const TLS_UNTRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
]);

/** Maps a failure to reach the server (no HTTP response) to a ToolError. */
export function networkError(err: unknown, what: string, server: string, redactor: Redactor): ToolError {
  const code = errorCode(err);
  const raw = redactor.redact(err instanceof Error ? err.message : String(err));
  if (code !== undefined && TLS_UNTRUSTED.has(code)) {
    return new ToolError('API_TLS', `${what}: the certificate of ${server} is not trusted (${code})`, {
      hint: 'set certificate-authority or certificate-authority-data for this cluster in the kubeconfig to the CA that signed the server certificate',
      cause: err,
    });
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID' || code === 'ERR_TLS_CERT_ALTNAME_FORMAT') {
    return new ToolError('API_TLS', `${what}: the certificate of ${server} does not match its host name (${raw})`, {
      hint: 'connect to a name the certificate lists, or set tls-server-name for this cluster in the kubeconfig',
      cause: err,
    });
  }
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') {
    return new ToolError('API_TLS', `${what}: the certificate of ${server} is outside its validity period (${code})`, {
      hint: 'check the server certificate and this machine\'s clock',
      cause: err,
    });
  }
  if (code !== undefined && (code.startsWith('ERR_SSL') || code.startsWith('ERR_TLS') || code.startsWith('ERR_OSSL'))) {
    return new ToolError('API_TLS', `${what}: TLS handshake with ${server} failed (${code}: ${raw})`, {
      hint: 'check certificate-authority, client-certificate/client-key and tls-server-name in the kubeconfig',
      cause: err,
    });
  }
  if (code === 'ECONNREFUSED') {
    return new ToolError('API_UNREACHABLE', `${what}: the connection to ${server} was refused`, {
      hint: 'is the API server running, and is this the right context? check `server:` in the kubeconfig',
      cause: err,
    });
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new ToolError('API_UNREACHABLE', `${what}: cannot resolve the host of ${server} (${code})`, {
      hint: 'check `server:` in the kubeconfig and your DNS or VPN',
      cause: err,
    });
  }
  if (code === 'TIMEOUT') {
    return new ToolError('API_UNREACHABLE', `${what}: ${server} did not answer in time (${raw})`, { cause: err });
  }
  return new ToolError('API_UNREACHABLE', `${what}: cannot reach ${server}${code ? ` (${code})` : ''}: ${raw}`, {
    cause: err,
  });
}

export interface HttpFailure {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
  /** What we were doing, e.g. `apply VirtualService/shop/reviews`. */
  readonly what: string;
  readonly kind?: string | undefined;
  readonly name?: string | undefined;
  readonly attempts: number;
}

const FIELD_MANAGER_CONFLICT = 'FieldManagerConflict';

/** The field managers a server-side apply conflicted with, by error (names as the apiserver prints them). */
const CONFLICT_MANAGERS = new WeakMap<ToolError, readonly string[]>();

/** The managers of an SSA field conflict (`conflict with "rollouts-controller" using ...`); undefined for other errors. */
export function conflictManagersOf(error: ToolError): readonly string[] | undefined {
  return CONFLICT_MANAGERS.get(error);
}

/** kubectl's wording: `Error from server (<Reason>): <message>`, 422 with one line per cause. */
export function statusError(f: HttpFailure, redactor: Redactor): ToolError {
  const status = parseStatus(f.body);
  const message = redactor.redact(status?.message ?? excerpt(f.body || `HTTP ${f.status}`));
  const reason = status?.reason;
  const prefix = reason ? `Error from server (${reason}): ` : 'Error from server: ';
  const causes = status?.details?.causes ?? [];
  const gaveUp = f.attempts > 1 ? ` (gave up after ${f.attempts} attempts)` : '';

  if (f.status === 401) {
    return new ToolError('API_AUTH', `${f.what}: You must be logged in to the server (${message})`, {
      hint: 'the credentials of this kubeconfig user were refused: check the token, client certificate or exec plugin, or log in again',
      httpStatus: f.status,
    });
  }
  if (f.status === 403) {
    return new ToolError('API_AUTH', `${f.what}: ${prefix}${message}`, {
      hint: 'cfmesh needs get, list, patch, create and delete on the resources it manages (and on the ApplySet Secret) in this namespace',
      httpStatus: f.status,
    });
  }
  if (f.status === 409) {
    const conflicts = causes.filter((c) => c.reason === FIELD_MANAGER_CONFLICT);
    if (conflicts.length > 0) {
      const managers = [...new Set(conflicts.map((c) => /"([^"]+)"/.exec(c.message ?? '')?.[1] ?? 'another manager'))];
      const lines = conflicts.map((c) => `  - ${redactor.redact(c.field ?? '?')}: ${redactor.redact(c.message ?? '')}`);
      const error = new ToolError(
        'API_CONFLICT',
        `${f.what}: Apply failed with ${conflicts.length} conflict${conflicts.length === 1 ? '' : 's'}: fields are owned by ${managers
          .map((m) => `"${m}"`)
          .join(', ')}\n${lines.join('\n')}`,
        {
          hint: `another field manager (${managers.join(', ')}) owns these fields; rerun with --force-conflicts to take them over (that controller may change them back), or change only weights with update-route`,
          httpStatus: f.status,
        },
      );
      CONFLICT_MANAGERS.set(error, managers);
      return error;
    }
    return new ToolError('API_CONFLICT', `${f.what}: ${prefix}${message}`, {
      hint: 'the object changed while cfmesh was writing it; run the command again',
      httpStatus: f.status,
    });
  }
  if (f.status === 422) {
    const head = `The ${status?.details?.kind ?? f.kind ?? 'object'} "${status?.details?.name ?? f.name ?? ''}" is invalid:`;
    const lines =
      causes.length > 0
        ? causes.map((c) => `* ${c.field ? `${redactor.redact(c.field)}: ` : ''}${redactor.redact(c.message ?? '')}`)
        : [`* ${message}`];
    return new ToolError('API_REJECTED', `${f.what}: ${head}\n${lines.join('\n')}`, { httpStatus: f.status });
  }
  if (f.status === 429 || f.status >= 500) {
    return new ToolError('API_UNREACHABLE', `${f.what}: ${prefix}${message}${gaveUp}`, {
      hint: 'the API server is overloaded or failing; try again later',
      httpStatus: f.status,
    });
  }
  return new ToolError('API_REJECTED', `${f.what}: ${prefix}${message}`, { httpStatus: f.status });
}

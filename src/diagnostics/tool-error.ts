import type { SourceSpan } from './source-file.ts';

/**
 * Every failure cfmesh reports has one of these codes. The exit code each one maps to is fixed
 * in exit-codes.ts; a new code that is not mapped there does not compile.
 */
export type ErrorCode =
  // invalid input or a failed check (exit 1)
  | 'YAML_SYNTAX'
  | 'DUPLICATE_KEY'
  | 'ALIAS_LIMIT'
  | 'MERGE_KEY'
  | 'INPUT_TOO_LARGE'
  | 'INPUT_ENCODING'
  | 'UNDEFINED_VARS'
  | 'VAR_TYPE'
  | 'VARS_FILE'
  // the manifest's structure: a type, a required key, a key where none may be (the JSON schema)
  | 'SCHEMA'
  // a value Cloud Controller refuses for an app or process attribute (units, ranges, health checks, env, metadata)
  | 'ATTRIBUTE_INVALID'
  // a cf route option (loadbalancing, hash_header, hash_balance) Cloud Controller refuses
  | 'OPTION_INVALID'
  // a value of cfmesh's traffic extension that Istio or cfmesh refuses (retry-on, percent, header names, endpoints)
  | 'TRAFFIC_INVALID'
  | 'APP_NAME'
  | 'DUPLICATE_APP'
  | 'ROUTE_INVALID'
  | 'UNKNOWN_APP'
  | 'DUPLICATE_DESTINATION'
  | 'WEIGHTS'
  | 'ROUTE_CONFLICT'
  // a feature the chosen output API (--api) cannot express: refused, never dropped
  | 'TARGET_UNSUPPORTED'
  | 'REGEX'
  | 'DURATION'
  | 'NOT_FOUND'
  | 'STRICT'
  // `diff`: the cluster differs from what would be applied (kubectl diff's exit 1)
  | 'DIFFERENCES'
  // wrong usage (exit 2)
  | 'USAGE'
  // local file I/O (exit 3)
  | 'FILE_READ'
  | 'FILE_WRITE'
  | 'STATE_CORRUPT'
  | 'STATE_LOCKED'
  // the control plane failed or refused (exit 4)
  | 'API_UNREACHABLE'
  | 'API_REJECTED'
  | 'API_CONFLICT'
  | 'API_TLS'
  | 'API_AUTH'
  | 'CRD_MISSING'
  | 'KUBECONFIG'
  // a bug (exit 70)
  | 'INTERNAL'
  // Ctrl-C (exit 130)
  | 'INTERRUPTED';

export interface ToolErrorOptions {
  readonly span?: SourceSpan | undefined;
  readonly hint?: string | undefined;
  /** When validation found several problems, all of them. */
  readonly details?: readonly ToolError[] | undefined;
  /** This error only stands for its details (failWith's "N problems found"): printed, they say it all. */
  readonly summary?: boolean | undefined;
  readonly cause?: unknown;
  /** The HTTP status a control plane answered with, when the error is that answer. */
  readonly httpStatus?: number | undefined;
  /** Warnings found before the failure, to be printed before it (the manifest's, say). */
  readonly warnings?: readonly Warning[] | undefined;
  /** The command has already told the user (a report on stdout, `validate --json`): main.ts only sets the exit code. */
  readonly reported?: boolean | undefined;
  /** What the failure left, when the code says it is worth saying (INTERRUPTED: what was and was not written). */
  readonly detail?: string | undefined;
  /** NOT_FOUND: what was looked for, so a caller that knows more names can add a did-you-mean. */
  readonly missing?: Missing | undefined;
}

/** A name looked up and not found: an app, or a route (by its URL, which is its key). */
export interface Missing {
  readonly kind: 'app' | 'route';
  readonly name: string;
  /** The hint without a did-you-mean: what to do when the name was meant. */
  readonly otherwise: string;
}

/** The one error class (eemeli/yaml errors.ts): a code, a message, where, and what to do. */
export class ToolError extends Error {
  readonly code: ErrorCode;
  readonly span: SourceSpan | undefined;
  readonly hint: string | undefined;
  readonly details: readonly ToolError[];
  readonly summary: boolean;
  readonly httpStatus: number | undefined;
  readonly warnings: readonly Warning[];
  readonly reported: boolean;
  readonly detail: string | undefined;
  readonly missing: Missing | undefined;

  constructor(code: ErrorCode, message: string, options: ToolErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ToolError';
    this.code = code;
    this.span = options.span;
    this.hint = options.hint;
    this.details = options.details ?? [];
    this.summary = options.summary ?? false;
    this.httpStatus = options.httpStatus;
    this.warnings = options.warnings ?? [];
    this.reported = options.reported ?? false;
    this.detail = options.detail;
    this.missing = options.missing;
  }

  /** The errors to print: the collected details, or this error alone. */
  get all(): readonly ToolError[] {
    return this.details.length > 0 ? this.details : [this];
  }

  /** The same error with some of its options changed (a ToolError is never changed in place). */
  with(options: Pick<ToolErrorOptions, 'warnings' | 'reported' | 'hint'> & { readonly code?: ErrorCode | undefined }): ToolError {
    return new ToolError(options.code ?? this.code, this.message, {
      span: this.span,
      hint: options.hint ?? this.hint,
      details: this.details,
      summary: this.summary,
      cause: this.cause,
      httpStatus: this.httpStatus,
      warnings: options.warnings ?? this.warnings,
      reported: options.reported ?? this.reported,
      detail: this.detail,
      missing: this.missing,
    });
  }
}

/** Throws one error carrying every collected error; the first one's code decides the exit code. */
export function failWith(errors: readonly ToolError[], warnings?: readonly Warning[]): never {
  const first = errors[0];
  if (!first) throw new ToolError('INTERNAL', 'failWith called with no errors');
  if (errors.length === 1) throw warnings ? first.with({ warnings }) : first;
  throw new ToolError(first.code, `${errors.length} problems found`, { details: errors, summary: true, warnings });
}

export type WarningCode =
  | 'LEGACY_KEY'
  // a key written twice (yaml.v2 keeps the last value), or a key given in both spellings
  | 'DUPLICATE_KEY'
  // a key or value cf accepts but that has no effect
  | 'IGNORED_KEY'
  | 'NO_ROUTE'
  | 'LOSSY'
  | 'UNKNOWN_KEY'
  | 'ZERO_INSTANCES'
  | 'NOTICE';

/** Warnings are data returned beside a value, printed before any error (cf CLI Warnings). */
export interface Warning {
  readonly code: WarningCode;
  readonly message: string;
  readonly span?: SourceSpan | undefined;
  readonly hint?: string | undefined;
}

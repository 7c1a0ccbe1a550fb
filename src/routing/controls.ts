import { ToolError } from '../diagnostics/tool-error.ts';
import { checkRetryOnToken, RETRY_ON } from '../manifest/controls.ts';
import { canonicalDuration, parseDuration } from '../manifest/duration.ts';
import type { ManifestControls } from '../manifest/types.ts';

/** Per-route controls that imperative commands set from flags (`update-route`, `map-route`). */
export interface ControlFlags {
  /** `--timeout 1s`; `0` or `none` removes the route's timeout. */
  readonly timeout?: string | undefined;
  /** `--retries 3`; 0 turns retries off (and drops retry-on / per-try-timeout). */
  readonly retries?: number | undefined;
  /** `--retry-on 5xx,connect-failure` (already split). */
  readonly retryOn?: readonly string[] | undefined;
  /** `--per-try-timeout 2s`. */
  readonly perTryTimeout?: string | undefined;
}

/**
 * controls + flags → new controls, in the manifest's own shape (`timeout`, `retries: {attempts,
 * per-try-timeout, retry-on}`), so the state and the translation share one model. Pure; a bad value
 * is a ToolError: DURATION for durations, USAGE for the rest. Keys the flags do not touch are kept.
 */
export function applyControlFlags(controls: ManifestControls, flags: ControlFlags): ManifestControls {
  const out: Record<string, unknown> = { ...controls };
  if (flags.timeout !== undefined) {
    if (flags.timeout === '0' || flags.timeout === 'none') delete out['timeout'];
    else out['timeout'] = durationFlag('--timeout', flags.timeout);
  }
  if (flags.retries === undefined && flags.retryOn === undefined && flags.perTryTimeout === undefined) return out;
  const current = typeof out['retries'] === 'object' && out['retries'] !== null ? (out['retries'] as Record<string, unknown>) : {};
  const retries: Record<string, unknown> = { ...current };
  if (flags.retries !== undefined) {
    if (!Number.isInteger(flags.retries) || flags.retries < 0 || flags.retries > 1000) {
      throw new ToolError('USAGE', `--retries must be a whole number from 0 to 1000 (got ${flags.retries})`);
    }
    retries['attempts'] = flags.retries;
  }
  if (flags.perTryTimeout !== undefined) retries['per-try-timeout'] = durationFlag('--per-try-timeout', flags.perTryTimeout);
  if (flags.retryOn !== undefined) {
    if (flags.retryOn.length === 0) throw new ToolError('USAGE', '--retry-on needs at least one condition');
    for (const token of flags.retryOn) {
      const problem = checkRetryOnToken(token);
      if (problem) throw new ToolError('USAGE', `--retry-on: ${problem}`, { hint: `known: ${RETRY_ON.join(', ')}, or an HTTP status code` });
    }
    retries['retry-on'] = [...flags.retryOn];
  }
  if (retries['attempts'] === 0) {
    if (flags.retryOn !== undefined || flags.perTryTimeout !== undefined) {
      throw new ToolError('USAGE', '--retries 0 turns retries off; it cannot be combined with --retry-on or --per-try-timeout');
    }
    delete retries['retry-on'];
    delete retries['per-try-timeout'];
  }
  out['retries'] = retries;
  return out;
}

function durationFlag(flag: string, value: string): string {
  const parsed = parseDuration(value);
  if (!parsed.ok) throw new ToolError('DURATION', `${flag}: ${parsed.message}`, { hint: 'whole milliseconds, at least 1ms: 500ms, 1s, 1m30s' });
  return canonicalDuration(value);
}

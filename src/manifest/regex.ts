import { createRequire } from 'node:module';

/** Envoy approximates RE2's program-size limit by length; Istio refuses longer regexes (validateStringRegexp). */
export const MAX_REGEX_LENGTH = 1024;

interface Re2Engine {
  compile(pattern: string): unknown;
}

let engine: Re2Engine | undefined;

/**
 * re2js (RE2 ported to JavaScript, the syntax Envoy and Istio's Go validation use) is loaded on first
 * use, synchronously, so manifests without a regex never pay for it (start-up time is measured).
 */
function re2(): Re2Engine {
  if (!engine) {
    const require = createRequire(import.meta.url);
    engine = (require('re2js') as { RE2JS: Re2Engine }).RE2JS;
  }
  return engine;
}

/** Why `pattern` is not a regex Istio accepts, or undefined when it is one. */
export function checkRe2(pattern: string): string | undefined {
  if (pattern.length === 0) return 'the regex is empty';
  if (pattern.length > MAX_REGEX_LENGTH) return `the regex is ${pattern.length} characters long; Istio accepts at most ${MAX_REGEX_LENGTH}`;
  try {
    re2().compile(pattern);
    return undefined;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return `"${abbreviate(pattern)}" is not an RE2 regex (${message.replace(/^error parsing regexp: /, '')}); Envoy supports no lookaround and no backreferences`;
  }
}

function abbreviate(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

// Kept apart from reliability.ts: convert.ts (for its threshold) is more to load than most tests need.
import { STREAM_MIN_CHARS } from '../../src/cli/commands/convert.ts';

/**
 * A manifest's text padded with comment lines past STREAM_MIN_CHARS: the same resources, but a new
 * `-o DIR` is then written while the translation goes on (NewDirectoryStream).
 */
export function padPastStream(text: string): string {
  return `${text}${`# ${'x'.repeat(98)}\n`.repeat(Math.ceil(STREAM_MIN_CHARS / 100) + 1)}`;
}

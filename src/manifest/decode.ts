import { SourceFile } from '../diagnostics/source-file.ts';
import { ToolError } from '../diagnostics/tool-error.ts';

/**
 * Bytes → text for a manifest: UTF-8 only (a BOM is dropped), no NUL bytes, no binary. Errors point
 * at the first bad byte so a user can find it.
 */
export function decodeSource(name: string, bytes: Uint8Array): SourceFile {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    const at = firstInvalidUtf8(bytes);
    const prefix = new TextDecoder('utf-8').decode(bytes.subarray(0, at));
    const source = new SourceFile(name, prefix);
    throw new ToolError('INPUT_ENCODING', `not valid UTF-8 text: byte 0x${(bytes[at] ?? 0).toString(16).padStart(2, '0')} at offset ${at}`, {
      span: { source, start: prefix.length, end: prefix.length },
      hint: 'a manifest is YAML text in UTF-8; is this a binary file?',
    });
  }
  const nul = text.indexOf('\u0000');
  if (nul !== -1) {
    const source = new SourceFile(name, text.slice(0, nul));
    throw new ToolError('INPUT_ENCODING', 'the file contains a NUL byte; a manifest is text', { span: { source, start: nul, end: nul } });
  }
  return new SourceFile(name, text);
}

function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i] as number;
    const need = b < 0x80 ? 0 : b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : -1;
    if (need < 0) return i;
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
    }
    i += need + 1;
  }
  return Math.max(0, bytes.length - 1);
}

// Compares what parseYaml gives through the direct reader with what it gives through the yaml
// library (test/core/yaml-direct.test.ts, and scratch comparisons): values (prototypes included),
// warnings, and every span and bool word the index answers for.
import { isDeepStrictEqual } from 'node:util';
import { SourceFile, type SourceSpan } from '../../src/diagnostics/source-file.ts';
import { parseYaml, type ParsedYaml, type ParseYamlOptions } from '../../src/manifest/parse-yaml.ts';

const spanText = (s: SourceSpan | undefined) => (s ? `${s.source.name}@${s.start}-${s.end}` : 'none');

function describeSpans(parsed: ParsedYaml): string[] {
  const out: string[] = [];
  const walk = (node: unknown, path: string) => {
    if (typeof node !== 'object' || node === null) return;
    out.push(`${path} container ${spanText(parsed.spans.container(node))}`);
    if (Array.isArray(node)) {
      node.forEach((item, i) => {
        const e = parsed.spans.entry(node, i);
        out.push(`${path}/${i} value ${spanText(e?.value)} key ${spanText(e?.key)} string-index ${spanText(parsed.spans.entry(node, String(i))?.value)}`);
        walk(item, `${path}/${i}`);
      });
      return;
    }
    for (const key of Object.keys(node)) {
      const e = parsed.spans.entry(node, key);
      out.push(`${path}/${key} value ${spanText(e?.value)} key ${spanText(e?.key)} word ${parsed.spans.boolWord(node, key) ?? '-'}`);
      walk((node as Record<string, unknown>)[key], `${path}/${key}`);
    }
    out.push(`${path}/<< ${spanText(parsed.spans.entry(node, '<<')?.value)}`);
  };
  walk(parsed.value, '');
  return out;
}

function describeWarnings(parsed: ParsedYaml): string[] {
  return (parsed.warnings ?? []).map((w) => `${w.code} ${w.message} ${w.hint ?? ''} ${spanText(w.span)}`);
}

export interface Comparison {
  /** Whether the direct reader read it (false: it declined). */
  readonly direct: boolean;
  /** What differs, empty when both agree. */
  readonly differences: readonly string[];
  readonly library: ParsedYaml;
}

export function compareReaders(text: string, options: ParseYamlOptions = {}): Comparison {
  const viaDirect = parseYaml(new SourceFile('m.yml', text), options);
  const direct = viaDirect.work?.direct === true;
  const differences: string[] = [];
  // Declined: parseYaml already read it through the library, so there is nothing to compare (and
  // no second library read to make).
  if (!direct) return { direct, differences, library: viaDirect };
  const library = parseYaml(new SourceFile('m.yml', text), { ...options, direct: false });
  if (library.errors.length > 0) differences.push(`the library reports errors: ${library.errors.map((e) => e.message).join('; ')}`);
  if (!isDeepStrictEqual(viaDirect.value, library.value)) differences.push(`values differ:\n  direct  ${JSON.stringify(viaDirect.value)}\n  library ${JSON.stringify(library.value)}`);
  const a = describeWarnings(viaDirect);
  const b = describeWarnings(library);
  if (a.join('\n') !== b.join('\n')) differences.push(`warnings differ:\n  direct  ${a.join('\n          ')}\n  library ${b.join('\n          ')}`);
  const sa = describeSpans(viaDirect);
  const sb = describeSpans(library);
  for (let i = 0; i < Math.max(sa.length, sb.length); i++) {
    if (sa[i] !== sb[i]) {
      differences.push(`spans differ:\n  direct  ${sa[i]}\n  library ${sb[i]}`);
      break;
    }
  }
  return { direct, differences, library };
}

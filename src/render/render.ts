import { Document } from 'yaml';
import { fastYamlDocument } from './fast-yaml.ts';
import type { Resource } from '../resource/resource.ts';

export type OutputFormat = 'yaml' | 'json';

/**
 * Multi-document YAML, quoted for YAML 1.1 readers too (kubectl's parser reads `yes` as true, so a
 * string "yes" must be quoted), no line folding: the same resources always give the same bytes.
 */
export function renderYaml(resources: readonly Resource[]): string {
  return resources.map((r) => renderYamlDocument(r)).join('---\n');
}

export function renderYamlDocument(value: unknown): string {
  // The direct emitter covers the usual resource and is byte-identical to the library; whatever it
  // is unsure of (quoting, floats, anchors...) goes to the library (see fast-yaml.ts).
  return fastYamlDocument(value) ?? libraryYamlDocument(value);
}

export function libraryYamlDocument(value: unknown): string {
  return new Document(value, { version: '1.1' }).toString({ lineWidth: 0, indentSeq: true });
}

/** A Kubernetes `List`, as `kubectl get -o json` prints several objects. */
export function renderJson(resources: readonly Resource[]): string {
  return `${JSON.stringify({ apiVersion: 'v1', kind: 'List', items: resources }, null, 2)}\n`;
}

export function render(resources: readonly Resource[], format: OutputFormat): string {
  return format === 'json' ? renderJson(resources) : renderYaml(resources);
}

/** One file per resource: `<kind>-<name>.<ext>` (names are valid Kubernetes names, so safe file names). */
export function fileNameFor(resource: Resource, format: OutputFormat): string {
  return `${resource.kind.toLowerCase()}-${resource.metadata.name}.${format === 'json' ? 'json' : 'yaml'}`;
}

export function renderFile(resource: Resource, format: OutputFormat): string {
  return format === 'json' ? `${JSON.stringify(resource, null, 2)}\n` : renderYamlDocument(resource);
}

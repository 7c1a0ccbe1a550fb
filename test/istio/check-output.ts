// Checks rendered cfmesh output (YAML or a JSON List on stdin) with the Istio checker:
//   node bin/cfmesh.js convert -f m.yml | node --import tsx test/istio/check-output.ts
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import type { Resource } from '../../src/resource/resource.ts';
import { formatProblems, validateIstio } from './validate-istio.ts';

const text = readFileSync(0, 'utf8');
const resources: Resource[] = text.trimStart().startsWith('{')
  ? (JSON.parse(text) as { items: Resource[] }).items
  : (() => {
      const docs = parseAllDocuments(text);
      return (Array.isArray(docs) ? docs : []).map((d) => d.toJS() as Resource).filter((r) => r !== null);
    })();
const problems = validateIstio(resources);
process.stdout.write(problems.length > 0 ? `${formatProblems(problems)}\n` : `valid: ${resources.length} resource(s)\n`);
process.exitCode = problems.length > 0 ? 1 : 0;

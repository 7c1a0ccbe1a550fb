// The yaml-library floor for the large figures: one node process that does only what any tool built
// on the `yaml` library must do for this job: parse the manifest with parseDocument, then render the
// resources cfmesh produces (read as JSON, untimed) with the same options cfmesh uses, to stdout.
// Prints the in-process parse+render time (ms) on stderr as `floor-ms <n>`.
// Usage: node yaml-floor.mjs MANIFEST RESOURCES.json
import { readFileSync, writeSync } from 'node:fs';
import { parseDocument, stringify } from 'yaml';

const [manifestPath, resourcesPath] = process.argv.slice(2);
const text = readFileSync(manifestPath, 'utf8');
const resources = JSON.parse(readFileSync(resourcesPath, 'utf8')).items;

const start = process.hrtime.bigint();
const doc = parseDocument(text, { version: '1.1' });
if (doc.errors.length > 0) throw doc.errors[0];
const out = resources.map((r) => stringify(r, { version: '1.1', lineWidth: 0, indentSeq: true })).join('---\n');
const ms = Number(process.hrtime.bigint() - start) / 1e6;

// stdout may be a file or /dev/null: write it in one go, as cfmesh does
writeSync(1, out);
process.stderr.write(`floor-ms ${ms.toFixed(1)}\n`);

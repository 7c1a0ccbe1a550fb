// The floor of `convert -o DIR` into an empty directory: one node process that writes the same files
// (read from a bundle made untimed from cfmesh's own output) the simplest atomic way, a temporary
// file and a rename each, with no fsync. Usage: node write-floor.mjs BUNDLE.json DIR
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [bundlePath, dir] = process.argv.slice(2);
const files = JSON.parse(readFileSync(bundlePath, 'utf8'));
mkdirSync(dir, { recursive: true });
for (const [name, content] of files) {
  const tmp = join(dir, `.tmp-${process.pid}-${name.length}`);
  writeFileSync(tmp, content, { mode: 0o644 });
  renameSync(tmp, join(dir, name));
}

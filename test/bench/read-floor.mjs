// The floor of `convert -o DIR` on a directory that is already up to date: one node process that
// reads every file of DIR once. Usage: node read-floor.mjs DIR
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const [dir] = process.argv.slice(2);
let bytes = 0;
for (const name of readdirSync(dir)) bytes += readFileSync(join(dir, name), 'utf8').length;
process.stderr.write(`read ${bytes}\n`);

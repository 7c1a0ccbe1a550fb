#!/usr/bin/env node
// cfmesh: the bundled CLI lives in dist/ (built by `npm install` / `npm run build`).
import module from 'node:module';

// Node 22+ caches compiled code between runs; Node 20 has no such API and starts as usual.
if (typeof module.enableCompileCache === 'function') {
  try {
    module.enableCompileCache();
  } catch {
    // a read-only cache directory only costs speed
  }
}

try {
  await import('../dist/entry.js');
} catch (error) {
  if (error && error.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('dist/entry.js')) {
    process.stderr.write('cfmesh is not built: run `npm install` (or `npm run build`) in its directory first.\n');
    process.exitCode = 3;
  } else {
    throw error;
  }
}

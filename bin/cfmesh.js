#!/usr/bin/env node
// cfmesh: the bundled CLI lives in dist/ (built by `npm ci` / `npm run build`, shipped in the npm tarball).
// CommonJS (bin/package.json), like dist/: no ES module loader to set up before the first line runs.
'use strict';

// Node 22+ caches compiled code between runs; Node 20 has no such API and starts as usual.
const module_ = require('node:module');
if (typeof module_.enableCompileCache === 'function') {
  try {
    module_.enableCompileCache();
  } catch {
    // a read-only or unwritable cache directory only costs speed
  }
}

try {
  require('../dist/entry.cjs');
} catch (error) {
  if (error && error.code === 'MODULE_NOT_FOUND' && String(error.message).includes('dist/entry.cjs')) {
    process.stderr.write(`cfmesh is not built: run \`npm ci\` in ${require('node:path').join(__dirname, '..')} (it installs the build tools and builds dist/).\n`);
    process.exitCode = 3;
  } else {
    throw error;
  }
}

import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

/** Compare with a golden file byte for byte; UPDATE_GOLDEN=1 rewrites it instead (never in CI). */
export function expectGolden(actual: string, path: string): void {
  if (process.env['UPDATE_GOLDEN'] === '1' && !process.env['CI']) {
    writeFileSync(path, actual);
    return;
  }
  assert.ok(existsSync(path), `golden file ${path} is missing; run npm run golden:update and review it`);
  assert.equal(actual, readFileSync(path, 'utf8'), `output differs from ${path}`);
}

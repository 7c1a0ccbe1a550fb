import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ToolError } from '../../src/diagnostics/tool-error.ts';
import { applyControlFlags } from '../../src/routing/controls.ts';

const cases = [
  { name: 'timeout in canonical form', controls: {}, flags: { timeout: '1500ms' }, expected: { timeout: '1s500ms' } },
  { name: 'timeout none removes it', controls: { timeout: '1s', fault: { abort: { 'http-status': 503 } } }, flags: { timeout: 'none' }, expected: { fault: { abort: { 'http-status': 503 } } } },
  { name: 'retries with conditions', controls: {}, flags: { retries: 3, retryOn: ['5xx', 'connect-failure'], perTryTimeout: '2s' }, expected: { retries: { attempts: 3, 'retry-on': ['5xx', 'connect-failure'], 'per-try-timeout': '2s' } } },
  { name: 'retries keep the other fields', controls: { retries: { attempts: 1, 'retry-on': ['reset'] } }, flags: { retries: 4 }, expected: { retries: { attempts: 4, 'retry-on': ['reset'] } } },
  { name: 'retries 0 drops the conditions', controls: { retries: { attempts: 3, 'retry-on': ['reset'], 'per-try-timeout': '1s' } }, flags: { retries: 0 }, expected: { retries: { attempts: 0 } } },
  { name: 'no flags, no change', controls: { timeout: '1s' }, flags: {}, expected: { timeout: '1s' } },
];
for (const c of cases) test(`applyControlFlags: ${c.name}`, () => assert.deepEqual(applyControlFlags(c.controls, c.flags), c.expected));

const refusals = [
  { name: 'fractional milliseconds', flags: { timeout: '1.5ms' }, code: 'DURATION' },
  { name: 'zero timeout as a duration', flags: { timeout: '0s' }, code: 'DURATION' },
  { name: 'bad per-try-timeout', flags: { perTryTimeout: '2' }, code: 'DURATION' },
  { name: 'unknown retry-on', flags: { retryOn: ['sometimes'] }, code: 'USAGE' },
  { name: 'negative retries', flags: { retries: -1 }, code: 'USAGE' },
  { name: 'retries 0 with retry-on', flags: { retries: 0, retryOn: ['5xx'] }, code: 'USAGE' },
];
for (const c of refusals) {
  test(`applyControlFlags refuses ${c.name}`, () => {
    assert.throws(() => applyControlFlags({}, c.flags), (e: unknown) => e instanceof ToolError && e.code === c.code);
  });
}

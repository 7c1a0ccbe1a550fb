import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatDuration, parseDuration } from '../../src/manifest/duration.ts';

const valid = [
  { input: '1s', ms: 1000, canonical: '1s' },
  { input: '250ms', ms: 250, canonical: '250ms' },
  { input: '1m30s', ms: 90_000, canonical: '1m30s' },
  { input: '1.5s', ms: 1500, canonical: '1s500ms' },
  { input: '3m', ms: 180_000, canonical: '3m' },
  { input: '1h', ms: 3_600_000, canonical: '1h' },
  { input: '1ms', ms: 1, canonical: '1ms' },
  { input: '1000us', ms: 1, canonical: '1ms' },
  { input: '2000000ns', ms: 2, canonical: '2ms' },
  { input: '.5s', ms: 500, canonical: '500ms' },
];
for (const c of valid) {
  test(`duration ${c.input} is ${c.ms}ms`, () => {
    const parsed = parseDuration(c.input);
    assert.deepEqual(parsed, { ok: true, ms: c.ms });
    assert.equal(formatDuration(c.ms), c.canonical);
    assert.deepEqual(parseDuration(formatDuration(c.ms)), { ok: true, ms: c.ms }, 'the canonical form reads back');
  });
}

const invalid = ['', '0s', '0', '1', '1.5ms', '999us', '1500ns', '1 s', 's', '1d', '-1s', '1s ', 'ms', '.s', '1e3ms'];
for (const input of invalid) {
  test(`duration ${JSON.stringify(input)} is refused`, () => {
    assert.equal(parseDuration(input).ok, false);
  });
}

// `cfmesh target http` stores where convert delivers (with --url). A state command has no URL to post
// to: it refuses (exit 2, nothing written) instead of printing the configuration as if delivered, and
// runs as asked with an explicit --target local.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { PROPOSAL, sandbox } from './helpers.ts';

test('a state command under a stored http target refuses, and runs with --target local', async (t) => {
  const s = sandbox(t);
  s.write('reviews.yml', PROPOSAL);
  assert.equal((await s.run('push', '-f', 'reviews.yml')).exit, 0);
  assert.equal((await s.run('target', 'http')).exit, 0);
  const stateFile = join(s.state, 'state.json');
  const before = readFileSync(stateFile, 'utf8');
  for (const args of [
    ['update-route', 'reviews-v1', 'example.com', '--hostname', 'reviews', '--weight', '80'],
    ['map-route', 'reviews-v2', 'example.com', '--hostname', 'ratings'],
    ['push', '-f', 'reviews.yml'],
  ]) {
    const r = await s.run(...args);
    assert.equal(r.exit, 2, `${args.join(' ')}: ${r.err}`);
    assert.match(r.err, /error USAGE the stored target is http/);
    assert.equal(r.out, '', 'no configuration printed');
    assert.equal(readFileSync(stateFile, 'utf8'), before, 'nothing written');
  }
  const local = await s.run('update-route', 'reviews-v1', 'example.com', '--hostname', 'reviews', '--weight', '80', '--target', 'local');
  assert.equal(local.exit, 0, local.err);
  assert.match(local.out, /kind: VirtualService/);
  assert.notEqual(readFileSync(stateFile, 'utf8'), before);
});

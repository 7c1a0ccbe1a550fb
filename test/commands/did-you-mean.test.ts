// A misspelt app, hostname, domain or path on a state command: NOT_FOUND (exit 1), with the closest
// name the state has (scoped commands read only the names they are given, so the suggestion must
// come from the whole state), and nothing written.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { PROPOSAL, sandbox } from './helpers.ts';

const CASES: readonly { readonly args: readonly string[]; readonly near: RegExp | undefined }[] = [
  { args: ['update-route', 'reviews-v1', 'example.com', '--hostname', 'reviw', '--weight', '90'], near: /hint: did you mean reviews\.example\.com\? Otherwise create it with cfmesh create-route example\.com --hostname reviw/ },
  { args: ['update-route', 'reviews-v1', 'exampel.com', '--hostname', 'reviews', '--weight', '90'], near: /hint: did you mean reviews\.example\.com\?/ },
  { args: ['update-route', 'reviews-vv1', 'example.com', '--hostname', 'reviews', '--weight', '90'], near: /App 'reviews-vv1' not found\.\n {2}hint: did you mean "reviews-v1"\? Otherwise push it first/ },
  { args: ['map-route', 'reviews-v3', 'example.com', '--hostname', 'reviews'], near: /hint: did you mean "reviews-v(1|2)"\?/ },
  { args: ['unmap-route', 'reviews-v1', 'example.com', '--hostname', 'reveiws'], near: /hint: did you mean reviews\.example\.com\?/ },
  { args: ['route', 'example.com', '--hostname', 'reviewz'], near: /hint: did you mean reviews\.example\.com\?/ },
  // Nothing close: the plain hint, no guess. (delete-route of a missing route is cf's notice and exit 0.)
  { args: ['update-route', 'reviews-v1', 'other.org', '--hostname', 'x', '--weight', '90'], near: undefined },
  { args: ['update-route', 'ratings', 'example.com', '--hostname', 'reviews', '--weight', '90'], near: undefined },
];

test('a misspelt name on a state command gets the closest name of the whole state', async (t) => {
  const s = sandbox(t);
  s.write('reviews.yml', PROPOSAL);
  const push = await s.run('push', '-f', 'reviews.yml');
  assert.equal(push.exit, 0, push.err);
  const stateFile = join(s.state, 'state.json');
  const before = readFileSync(stateFile, 'utf8');
  for (const c of CASES) {
    const r = await s.run(...c.args);
    assert.equal(r.exit, 1, `${c.args.join(' ')}: ${r.err}`);
    assert.match(r.err, /error NOT_FOUND /, c.args.join(' '));
    if (c.near) assert.match(r.err, c.near, c.args.join(' '));
    else assert.doesNotMatch(r.err, /did you mean/, c.args.join(' '));
  }
  assert.equal(readFileSync(stateFile, 'utf8'), before, 'nothing was written');
});

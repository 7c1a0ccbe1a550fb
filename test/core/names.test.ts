import assert from 'node:assert/strict';
import { test } from 'node:test';
import { objectName } from '../../src/istio/names.ts';

const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

test('a lowercased FQDN is its own name', () => {
  assert.equal(objectName('reviews.example.com'), 'reviews.example.com');
});

test('invalid names are cleaned and made unique with a hash', () => {
  const inputs = ['*.example.com', 'wildcard.example.com', 'My_App', 'my-app', 'x'.repeat(300), `${'x'.repeat(300)}y`, '..', '-a-', 'A.B'];
  const names = inputs.map((i) => objectName(i));
  for (const name of names) {
    assert.match(name, SUBDOMAIN);
    assert.ok(name.length <= 253);
  }
  assert.equal(new Set(names).size, inputs.length, names.join(' '));
  assert.equal(objectName('*.example.com'), objectName('*.example.com'), 'deterministic');
});

test('labels are at most 63 characters and have no dots', () => {
  const name = objectName('reviews.example.com', 'label');
  assert.match(name, /^[a-z0-9-]{1,63}$/);
  assert.notEqual(name, objectName('reviews-example.com', 'label'));
});

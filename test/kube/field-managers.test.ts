// The API double attributes writes to field managers as the apiserver does (so that the tests of
// cfmesh's own writes mean something): a JSON patch is an Update recorded under its fieldManager, or the
// user agent's prefix without one (handlers/rest.go managerOrUserAgent); an Update and an Apply of the
// same name are two managers (managedfields.go BuildManagerIdentifier); an Update takes the fields it
// changed from the appliers, whose next apply of another value then conflicts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ToolError } from '../../src/diagnostics/tool-error.ts';
import { conflictManagersOf } from '../../src/kube/errors.ts';
import { clientFor, useKubeServer, vs } from './helpers.ts';

const ref = (name: string) => ({ apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', namespace: 'shop', name }) as const;
type Managed = { metadata: { managedFields: { manager: string; operation: string; apiVersion: string; fieldsV1: Record<string, unknown> }[] } };

describe('field managers in the API double', () => {
  const k = useKubeServer();

  const cases = [
    { name: 'a JSON patch with fieldManager is an Update of that manager', fieldManager: 'cfmesh-weights', userAgent: undefined, expected: 'cfmesh-weights' },
    { name: 'a JSON patch with the same name as the applier is still a manager of its own', fieldManager: 'cfmesh', userAgent: undefined, expected: 'cfmesh' },
    { name: 'without fieldManager the manager is the user agent up to its first /', fieldManager: '', userAgent: 'some-tool/1.2 (linux)', expected: 'some-tool' },
  ];
  for (const [i, c] of cases.entries()) {
    it(c.name, async () => {
      const name = `fm-${i}`;
      const client = clientFor(k.server, { auth: 'token' }, c.userAgent ? { userAgent: c.userAgent } : {});
      try {
        await client.apply(vs(name, [`${name}.example.com`], [['a', 50], ['b', 50]]));
        // jsonPatch always names a manager; the raw "no fieldManager" case goes through fetch-like access below
        if (c.fieldManager !== '') {
          await client.jsonPatch(ref(name), [{ op: 'replace', path: '/spec/http/0/route/0/weight', value: 90 }, { op: 'replace', path: '/spec/http/0/route/1/weight', value: 10 }], { fieldManager: c.fieldManager });
        } else {
          await rawJsonPatch(k.server.url, k.server.token, k.server.caPem, name, c.userAgent as string);
        }
        const live = k.server.store.get('networking.istio.io/v1', 'VirtualService', 'shop', name) as unknown as Managed;
        const entries = live.metadata.managedFields.map((m) => `${m.manager}/${m.operation}`).sort();
        assert.deepEqual(entries, [`${c.expected}/Update`, 'cfmesh/Apply'].sort());
        const update = live.metadata.managedFields.find((m) => m.operation === 'Update');
        assert.ok(JSON.stringify(update?.fieldsV1).includes('"f:http"'), 'the updater owns spec.http (an atomic list)');
        const apply = live.metadata.managedFields.find((m) => m.operation === 'Apply');
        assert.ok(!JSON.stringify(apply?.fieldsV1).includes('"f:http"'), 'the applier lost it');

        // The applier's next apply of other weights conflicts with the updater, named as the apiserver names it.
        const err = await client.apply(vs(name, [`${name}.example.com`], [['a', 30], ['b', 70]])).then(
          () => undefined,
          (e: unknown) => e,
        );
        assert.ok(err instanceof ToolError && err.code === 'API_CONFLICT', String(err));
        assert.deepEqual(conflictManagersOf(err), [c.expected]);
        assert.match(err.message, new RegExp(`conflict with "${c.expected}" using networking\\.istio\\.io/v1`));
        // The same weights are no conflict: the applier shares the field.
        await client.apply(vs(name, [`${name}.example.com`], [['a', 90], ['b', 10]]));
      } finally {
        await client.close();
      }
    });
  }
});

/** A JSON patch without fieldManager, with a chosen user agent (cfmesh's client always names one). */
async function rawJsonPatch(url: string, token: string, ca: string, name: string, userAgent: string): Promise<void> {
  const { Agent, request } = await import('undici');
  const dispatcher = new Agent({ connect: { ca } });
  try {
    const res = await request(`${url}/apis/networking.istio.io/v1/namespaces/shop/virtualservices/${name}`, {
      method: 'PATCH',
      dispatcher,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json-patch+json', 'user-agent': userAgent },
      body: JSON.stringify([{ op: 'replace', path: '/spec/http/0/route/0/weight', value: 90 }, { op: 'replace', path: '/spec/http/0/route/1/weight', value: 10 }]),
    });
    assert.equal(res.statusCode, 200, await res.body.text());
    await res.body.dump();
  } finally {
    await dispatcher.close();
  }
}

import type { IncomingMessage } from 'node:http';
import { request } from 'node:https';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { waitUntil } from '../processes/index.js';
import { deployment, type KubeUpstream, pod, startKubeUpstream } from './index.js';

interface Reply {
  status: number | undefined;
  contentType: string | undefined;
  body: Buffer;
  json: () => Record<string, unknown>;
}

describe('kube-upstream REST semantics', () => {
  let upstream: KubeUpstream;

  function open(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
    return new Promise<IncomingMessage>((resolve, reject) => {
      // `path` as an option is sent as written: a URL string would lose everything after a `#`.
      const req = request(upstream.url, { method, path, ca: upstream.caPem, headers }, resolve);
      req.on('error', reject);
      const text = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
      // Node frames a DELETE body with neither header; the server would read it as a next request.
      if (text !== undefined) req.setHeader('content-length', Buffer.byteLength(text));
      req.end(text);
    });
  }
  async function call(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Reply> {
    const res = await open(method, path, body, { 'content-type': 'application/json', ...headers });
    const chunks: Buffer[] = [];
    for await (const chunk of res) chunks.push(chunk as Buffer);
    const bytes = Buffer.concat(chunks);
    return {
      status: res.statusCode,
      contentType: res.headers['content-type'],
      body: bytes,
      json: () => JSON.parse(bytes.toString()),
    };
  }
  /** Reads watch events until `count` arrived or the stream ended. */
  async function watchEvents(path: string, count: number, during?: () => void) {
    const res = await open('GET', path);
    const events: { type: string; object: Record<string, unknown> }[] = [];
    let pending = '';
    during?.();
    for await (const chunk of res) {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      events.push(...lines.map((l) => JSON.parse(l)));
      if (events.length >= count) {
        res.destroy();
        break;
      }
    }
    return events;
  }

  beforeAll(async () => {
    upstream = await startKubeUpstream();
  });
  afterAll(() => upstream.close());
  beforeEach(() => {
    upstream.store.clear();
    upstream.reset();
    upstream.store.put(pod({ name: 'a', labels: { app: 'x' } }));
    upstream.store.put(deployment({ name: 'web' }, 2));
  });

  it('answers unknown paths and unsupported methods with Status errors', async () => {
    expect((await call('GET', '/apis/nope.example.com/v1')).json()).toMatchObject({
      kind: 'Status',
      code: 404,
    });
    expect((await call('GET', '/api/v1/namespaces/default/widgets')).status).toBe(404);
    expect((await call('POST', '/version')).json()).toMatchObject({ reason: 'MethodNotAllowed', code: 405 });
    const patch = await call(
      'PATCH',
      '/api/v1/namespaces/default/pods/a',
      {},
      { 'content-type': 'text/plain' },
    );
    expect(patch.json()).toMatchObject({ reason: 'UnsupportedMediaType', code: 415 });
  });

  it('lets intercepts delay, replace, or drop matching requests, a given number of times', async () => {
    upstream.intercept({ path: '/version' }, { delayMs: 20 }, { times: 1 });
    expect((await call('GET', '/version')).json()).toMatchObject({ major: '1', minor: '32' });
    upstream.intercept(
      { method: 'GET', path: /\/pods\/a$/ },
      { handle: (_req, res) => void res.writeHead(418).end('teapot') },
      { times: 1 },
    );
    const handled = await call('GET', '/api/v1/namespaces/default/pods/a');
    expect([handled.status, handled.body.toString()]).toEqual([418, 'teapot']);
    expect((await call('GET', '/api/v1/namespaces/default/pods/a')).status).toBe(200);
    upstream.intercept({ method: 'DELETE' }, { destroy: true });
    await expect(call('DELETE', '/api/v1/namespaces/default/pods/a')).rejects.toThrow(
      /socket hang up|ECONNRESET/,
    );
    expect(upstream.store.find('pods', 'default', 'a')).toBeDefined();
    expect(upstream.received({ method: 'DELETE' })).toHaveLength(1);
  });

  it('refuses a PUT carrying a stale resourceVersion with 409 Conflict', async () => {
    const current = (await call('GET', '/api/v1/namespaces/default/pods/a')).json();
    const updated = await call('PUT', '/api/v1/namespaces/default/pods/a', { ...current, spec: { x: 1 } });
    expect(updated.status).toBe(200);
    const stale = await call('PUT', '/api/v1/namespaces/default/pods/a', { ...current, spec: { x: 2 } });
    expect(stale.json()).toMatchObject({ reason: 'Conflict', code: 409 });
    expect(upstream.store.find('pods', 'default', 'a')?.spec).toEqual({ x: 1 });
  });

  describe('preconditions, worded as the API server words them', () => {
    const options = (preconditions: Record<string, string>) => ({
      kind: 'DeleteOptions',
      apiVersion: 'v1',
      propagationPolicy: 'Background',
      preconditions,
    });

    it('refuses a namespace delete whose uid or resourceVersion changed (namespace registry wording)', async () => {
      upstream.store.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'pay' } });
      const live = upstream.store.find('namespaces', undefined, 'pay')!.metadata;
      const wrongUid = await call('DELETE', '/api/v1/namespaces/pay', options({ uid: 'old-uid' }));
      expect(wrongUid.status).toBe(409);
      expect(wrongUid.json()).toMatchObject({
        kind: 'Status',
        status: 'Failure',
        reason: 'Conflict',
        code: 409,
        message: `Operation cannot be fulfilled on namespaces "pay": Precondition failed: UID in precondition: old-uid, UID in object meta: ${live.uid}`,
        details: { name: 'pay', kind: 'namespaces' },
      });
      const wrongVersion = await call(
        'DELETE',
        '/api/v1/namespaces/pay',
        options({ uid: live.uid!, resourceVersion: '1' }),
      );
      expect(wrongVersion.json().message).toBe(
        `Operation cannot be fulfilled on namespaces "pay": Precondition failed: ResourceVersion in precondition: 1, ResourceVersion in object meta: ${live.resourceVersion}`,
      );
      expect(upstream.store.find('namespaces', undefined, 'pay')).toBeDefined();
      const matching = options({ uid: live.uid!, resourceVersion: live.resourceVersion! });
      expect((await call('DELETE', '/api/v1/namespaces/pay', matching)).status).toBe(200);
      expect(upstream.store.find('namespaces', undefined, 'pay')).toBeUndefined();
    });

    it('refuses other deletes as rest.BeforeDelete does (the Kind names the object), dry runs too', async () => {
      const live = upstream.store.find('deployments.apps', 'default', 'web')!.metadata;
      const path = '/apis/apps/v1/namespaces/default/deployments/web';
      const wrongUid = await call('DELETE', path, { ...options({ uid: 'old' }), dryRun: ['All'] });
      expect(wrongUid.json()).toMatchObject({
        reason: 'Conflict',
        code: 409,
        message: `Operation cannot be fulfilled on Deployment.apps "web": the UID in the precondition (old) does not match the UID in record (${live.uid}). The object might have been deleted and then recreated`,
      });
      const wrongVersion = await call('DELETE', path, options({ resourceVersion: '0' }));
      expect(wrongVersion.json().message).toBe(
        `Operation cannot be fulfilled on Deployment.apps "web": the ResourceVersion in the precondition (0) does not match the ResourceVersion in record (${live.resourceVersion}). The object might have been modified`,
      );
      const pod = await call('DELETE', '/api/v1/namespaces/default/pods/a', options({ uid: 'x' }));
      expect(pod.json().message).toMatch(
        /^Operation cannot be fulfilled on Pod "a": the UID in the precondition \(x\)/,
      );
      expect(upstream.store.find('deployments.apps', 'default', 'web')).toBeDefined();
    });

    it('refuses a merge or strategic patch carrying a stale metadata.resourceVersion (optimistic lock), dry runs too', async () => {
      const path = '/apis/apps/v1/namespaces/default/deployments/web';
      const live = upstream.store.find('deployments.apps', 'default', 'web')!.metadata;
      upstream.store.put(deployment({ name: 'web' }, 3));
      for (const [type, query] of [
        ['application/merge-patch+json', ''],
        ['application/strategic-merge-patch+json', '?dryRun=All'],
      ] as const) {
        const stale = await call(
          'PATCH',
          `${path}${query}`,
          { metadata: { resourceVersion: live.resourceVersion }, spec: { replicas: 0 } },
          { 'content-type': type },
        );
        expect(stale.json()).toMatchObject({
          reason: 'Conflict',
          code: 409,
          message:
            'Operation cannot be fulfilled on deployments.apps "web": the object has been modified; please apply your changes to the latest version and try again',
        });
      }
      expect(upstream.store.find('deployments.apps', 'default', 'web')?.spec).toMatchObject({ replicas: 3 });
      const current = upstream.store.find('deployments.apps', 'default', 'web')!.metadata.resourceVersion;
      const fresh = await call(
        'PATCH',
        path,
        { metadata: { resourceVersion: current }, spec: { replicas: 0 } },
        { 'content-type': 'application/merge-patch+json' },
      );
      expect(fresh.status).toBe(200);
    });
  });

  it('serves scale: GET, then PUT writes spec.replicas back to the deployment', async () => {
    const scale = (await call('GET', '/apis/apps/v1/namespaces/default/deployments/web/scale')).json();
    expect(scale).toMatchObject({
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      spec: { replicas: 2 },
      status: { selector: 'app=web' },
    });
    const put = await call('PUT', '/apis/apps/v1/namespaces/default/deployments/web/scale', {
      ...scale,
      spec: { replicas: 5 },
    });
    expect(put.json()).toMatchObject({ spec: { replicas: 5 } });
    expect(upstream.store.find('deployments.apps', 'default', 'web')?.spec).toMatchObject({ replicas: 5 });
  });

  it('serves server-side apply as create (201) then update (200), and JSON patch', async () => {
    const applied = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: '1' } };
    const path = '/api/v1/namespaces/default/configmaps/c?fieldManager=t';
    const headers = { 'content-type': 'application/apply-patch+yaml' };
    expect((await call('PATCH', path, applied, headers)).status).toBe(201);
    expect((await call('PATCH', path, 'data:\n  b: "2"\n', headers)).status).toBe(200);
    const ops = [{ op: 'remove', path: '/data/a' }];
    const patched = await call('PATCH', path, ops, { 'content-type': 'application/json-patch+json' });
    expect(patched.json()).toMatchObject({ data: { b: '2' } });
    expect((patched.json().data as object) ?? {}).not.toHaveProperty('a');
  });

  // apiserver registry/generic/registry/dryrun.go: a dry run answers the object as the write would
  // leave it (the patch applied by the server) and stores nothing; a create of an existing name fails.
  it('answers a dry run of every patch type, PUT and POST with the result, and stores nothing', async () => {
    const path = '/apis/apps/v1/namespaces/default/deployments/web';
    const before = upstream.store.find('deployments.apps', 'default', 'web');
    const image = (reply: Reply) =>
      (reply.json() as { spec: { template: { spec: { containers: { image: string }[] } } } }).spec.template
        .spec.containers[0]?.image;
    const merge = await call(
      'PATCH',
      `${path}?dryRun=All`,
      { spec: { replicas: 0, template: { spec: { containers: [{ name: 'app', image: 'evil' }] } } } },
      { 'content-type': 'application/merge-patch+json' },
    );
    expect(merge.status).toBe(200);
    expect(merge.json()).toMatchObject({ spec: { replicas: 0 } });
    expect(image(merge)).toBe('evil');
    const strategic = await call(
      'PATCH',
      `${path}?dryRun=All`,
      { spec: { template: { spec: { containers: [{ name: 'app', image: 'evil2' }] } } } },
      { 'content-type': 'application/strategic-merge-patch+json' },
    );
    expect(image(strategic)).toBe('evil2');
    const json = await call(
      'PATCH',
      `${path}?dryRun=All`,
      [{ op: 'replace', path: '/spec/replicas', value: 0 }],
      { 'content-type': 'application/json-patch+json' },
    );
    expect(json.json()).toMatchObject({ spec: { replicas: 0 } });
    const apply = await call('PATCH', `${path}?dryRun=All&fieldManager=t`, 'spec:\n  replicas: 0\n', {
      'content-type': 'application/apply-patch+yaml',
    });
    expect(apply.json()).toMatchObject({ spec: { replicas: 0 } });
    const put = await call('PUT', `${path}?dryRun=All`, {
      ...before,
      spec: { ...(before?.spec as object), replicas: 7 },
    });
    expect(put.json()).toMatchObject({ spec: { replicas: 7 }, metadata: { uid: before?.metadata.uid } });
    for (const reply of [merge, strategic, json, apply, put])
      expect(reply.json()).toMatchObject({ metadata: { resourceVersion: before?.metadata.resourceVersion } });
    expect(upstream.store.find('deployments.apps', 'default', 'web')).toEqual(before);

    const created = await call('POST', '/api/v1/namespaces/default/configmaps?dryRun=All', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'new' },
      data: { a: '1' },
    });
    expect(created.status).toBe(201);
    expect(created.json()).toMatchObject({ metadata: { name: 'new' }, data: { a: '1' } });
    expect(created.json().metadata).not.toHaveProperty('resourceVersion');
    expect(upstream.store.find('configmaps', 'default', 'new')).toBeUndefined();
    const again = await call('POST', '/api/v1/namespaces/default/pods?dryRun=All', pod({ name: 'a' }));
    expect(again.json()).toMatchObject({ reason: 'AlreadyExists', code: 409 });
    expect(upstream.store.find('deployments.apps', 'default', 'web')?.metadata.resourceVersion).toBe(
      before?.metadata.resourceVersion,
    );
  });

  it('answers a Table when asked, with partial metadata rows by default', async () => {
    const accept = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json';
    const table = (await call('GET', '/api/v1/namespaces/default/pods', undefined, { accept })).json();
    expect(table).toMatchObject({
      kind: 'Table',
      rows: [{ cells: ['a', expect.any(String)], object: { kind: 'PartialObjectMetadata' } }],
    });
  });

  it('serves the openapi v2 document as protobuf when asked', async () => {
    const accept = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';
    const reply = await call('GET', '/openapi/v2', undefined, { accept });
    expect(reply.contentType).toBe(accept);
    expect(reply.body.subarray(0, 5)).toEqual(Buffer.from([0x0a, 0x03, ...Buffer.from('2.0')]));
  });

  it('watches from a resourceVersion: only later changes, also on the legacy /watch/ path', async () => {
    const from = upstream.store.resourceVersion;
    upstream.store.put(pod({ name: 'b' }));
    const events = await watchEvents(`/api/v1/watch/namespaces/default/pods?resourceVersion=${from}`, 2, () =>
      upstream.store.remove('pods', 'default', 'a'),
    );
    expect(events.map((e) => [e.type, (e.object.metadata as { name: string }).name])).toEqual([
      ['ADDED', 'b'],
      ['DELETED', 'a'],
    ]);
  });

  it('reports a too old resourceVersion as an ERROR event with 410', async () => {
    for (let i = 0; i < 1001; i++) upstream.store.put(pod({ name: `p${i}` }));
    const [event] = await watchEvents('/api/v1/namespaces/default/pods?watch=true&resourceVersion=1', 1);
    expect(event).toMatchObject({ type: 'ERROR', object: { kind: 'Status', code: 410 } });
  });

  it('filters watch events by label selector and ends the stream on timeoutSeconds', async () => {
    const res = await open(
      'GET',
      '/api/v1/namespaces/default/pods?watch=true&labelSelector=app%3Dx&timeoutSeconds=1',
    );
    let text = '';
    upstream.store.put(pod({ name: 'other', labels: { app: 'y' } }));
    for await (const chunk of res) text += chunk;
    const names = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).object.metadata.name);
    expect(names).toEqual(['a']);
    await waitUntil('the watch to be forgotten', () => upstream.openWatches === 0);
  });

  describe('dry runs, as the API server reads them', () => {
    const web = '/apis/apps/v1/namespaces/default/deployments/web';
    const replicas = () => upstream.store.find('deployments.apps', 'default', 'web')?.spec;
    const merge = { 'content-type': 'application/merge-patch+json' };

    it('refuses any dryRun value but All with 422 Invalid, and changes nothing', async () => {
      for (const query of [
        'dryRun=x',
        'dryRun=all',
        'dryRun=x&dryRun=All',
        'dryRun=All&dryRun=',
        'dryRun=All#',
      ]) {
        const answer = await call('PATCH', `${web}?${query}`, { spec: { replicas: 0 } }, merge);
        expect(answer.status, query).toBe(422);
        expect(answer.json()).toMatchObject({
          reason: 'Invalid',
          message: expect.stringContaining('supported values: "All"'),
        });
      }
      expect(replicas()).toMatchObject({ replicas: 2 });
      expect(
        (await call('PATCH', `${web}?dryRun=All&dryRun=All`, { spec: { replicas: 0 } }, merge)).status,
      ).toBe(200);
      expect(replicas()).toMatchObject({ replicas: 2 });
    });

    it('keeps a raw # in the query and drops pairs Go drops', async () => {
      // `new URL` would cut at the #, leaving dryRun=All: a dry run. Go reads "All#" and refuses it.
      expect((await call('DELETE', `${web}?dryRun=All#`)).status).toBe(422);
      // Go drops `dryRun=All;` (a ;) and `dryRun=%zz` (a broken escape): no dryRun, a real change.
      await call('PATCH', `${web}?dryRun=All;`, { spec: { replicas: 1 } }, merge);
      expect(replicas()).toMatchObject({ replicas: 1 });
      expect(upstream.received({ method: 'PATCH' })[0]?.query.getAll('dryRun')).toEqual([]);
      await call('GET', `/api/v1/namespaces/default/pods?labelSelector=app+in+(x)&x=#1`);
      const read = upstream.received({ method: 'GET' }).at(-1)!;
      expect([read.query.get('labelSelector'), read.query.get('x')]).toEqual(['app in (x)', '#1']);
    });

    it('a DELETE with a body reads dryRun from DeleteOptions only', async () => {
      const options = (o: object) => JSON.stringify({ kind: 'DeleteOptions', apiVersion: 'v1', ...o });
      const lower = await call('DELETE', `${web}?dryRun=All`, options({ dryRun: ['all'] }));
      expect(lower.status).toBe(422);
      expect((await call('DELETE', `${web}?dryRun=All`, options({ dryRun: 'All' }))).status).toBe(400);
      expect((await call('DELETE', `${web}`, `\uFEFF${options({ dryRun: ['All'] })}`)).status).toBe(400);
      expect(replicas()).toBeDefined();
      expect((await call('DELETE', `${web}?dryRun=x`, options({ dryRun: ['All'] }))).status).toBe(200);
      expect(replicas()).toBeDefined();
      // The query beside a body is ignored: this one really deletes.
      expect((await call('DELETE', `${web}?dryRun=All`, options({}))).status).toBe(200);
      expect(replicas()).toBeUndefined();
    });
  });
});

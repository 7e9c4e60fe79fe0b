import { describe, expect, it } from 'vitest';
import { parseClusterRoute, upstreamTarget } from './index.js';

describe('parseClusterRoute', () => {
  it.each([
    ['/clusters/prod/api/v1/pods', { cluster: 'prod', path: '/api/v1/pods', query: '' }],
    [
      '/clusters/prod/api/v1/pods?watch=1&rv=2',
      { cluster: 'prod', path: '/api/v1/pods', query: 'watch=1&rv=2' },
    ],
    ['/clusters/prod', { cluster: 'prod', path: '/', query: '' }],
    ['/clusters/prod?x=1', { cluster: 'prod', path: '/', query: 'x=1' }],
    ['/clusters/prod//api/v1/../x/%2F', { cluster: 'prod', path: '//api/v1/../x/%2F', query: '' }],
    ['/clusters/prod/api?a=/clusters/x', { cluster: 'prod', path: '/api', query: 'a=/clusters/x' }],
  ])('%s', (target, route) => {
    expect(parseClusterRoute(target)).toEqual(route);
  });

  it.each(['/', '/api/v1/pods', '/clusters', '/clusters/', '/clusters//api', '/Clusters/prod/api'])(
    'has no route for %s',
    (target) => {
      expect(parseClusterRoute(target)).toBeUndefined();
    },
  );
});

describe('upstreamTarget', () => {
  it('keeps the upstream path prefix and the raw query', () => {
    expect(upstreamTarget(new URL('https://k8s:6443'), { path: '/api', query: '' })).toBe('/api');
    expect(
      upstreamTarget(new URL('https://rancher/k8s/clusters/c-1/'), { path: '/api/v1', query: 'a=1' }),
    ).toBe('/k8s/clusters/c-1/api/v1?a=1');
  });
});

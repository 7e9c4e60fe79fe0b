import type { ClusterConfig } from '@gatehouse/config';
import { describe, expect, it } from 'vitest';
import { createClusterUpstream, UpstreamErrorCode } from './index.js';

const eks: ClusterConfig = {
  name: 'prod',
  type: 'eks',
  server: 'https://ABCDEF.gr7.eu-west-1.eks.amazonaws.com/',
  region: 'eu-west-1',
  clusterName: 'prod',
  roleArn: 'arn:aws:iam::123456789012:role/gatehouse-eks',
  impersonate: true,
};

describe('createClusterUpstream', () => {
  it('builds an eks upstream for an eks entry, without calling AWS yet', async () => {
    const upstream = await createClusterUpstream(eks, { env: {} });
    try {
      expect(upstream.name).toBe('prod');
      expect(upstream.url.host).toBe('abcdef.gr7.eu-west-1.eks.amazonaws.com');
      expect(upstream.tlsOptions()).toMatchObject({
        rejectUnauthorized: true,
        servername: upstream.url.hostname,
      });
    } finally {
      await upstream.close();
    }
  });

  it('builds a kubeconfig upstream for a kubeconfig entry', async () => {
    const cluster: ClusterConfig = {
      name: 'local',
      type: 'kubeconfig',
      kubeconfig: '/nonexistent/kubeconfig',
      impersonate: true,
    };
    await expect(createClusterUpstream(cluster)).rejects.toMatchObject({
      code: UpstreamErrorCode.KubeconfigUnreadable,
    });
  });

  it('refuses a server that is not an http(s) URL', async () => {
    await expect(
      createClusterUpstream({ ...eks, server: 'ftp://cluster' }, { env: {} }),
    ).rejects.toMatchObject({
      code: UpstreamErrorCode.InvalidServerUrl,
    });
  });

  it('refuses an unknown cluster type from a hand-built config', async () => {
    const bogus = { name: 'x', type: 'gke' } as unknown as ClusterConfig;
    await expect(createClusterUpstream(bogus)).rejects.toMatchObject({
      code: UpstreamErrorCode.UnknownClusterType,
      message: expect.stringContaining('"gke"'),
    });
  });
});

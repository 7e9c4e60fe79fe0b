import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderKubeconfig } from './kubeconfig.js';

describe('renderKubeconfig', () => {
  it('is read by kubectl as a context pointing at the cluster prefix with the token and CA', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gatehouse-kubeconfig-'));
    try {
      const file = join(dir, 'agent.kubeconfig');
      const caPem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
      await writeFile(
        file,
        renderKubeconfig({
          agent: 'agent-oncall',
          cluster: 'prod',
          server: 'https://gw:8443/',
          token: 'gh_abc"def',
          caPem,
        }),
      );
      const view = JSON.parse(
        execFileSync('/usr/bin/kubectl', ['config', 'view', '--raw', '-o', 'json', '--kubeconfig', file], {
          encoding: 'utf8',
        }),
      );
      expect(view['current-context']).toBe('gatehouse-prod');
      expect(view.clusters[0].cluster.server).toBe('https://gw:8443/clusters/prod');
      expect(Buffer.from(view.clusters[0].cluster['certificate-authority-data'], 'base64').toString()).toBe(
        caPem,
      );
      expect(view.users[0].user.token).toBe('gh_abc"def');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('writes tokenFile instead of a token, as kubectl reads it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gatehouse-kubeconfig-'));
    try {
      const file = join(dir, 'agent.kubeconfig');
      const tokenFile = '/var/run/secrets/gatehouse/token';
      await writeFile(
        file,
        renderKubeconfig({ agent: 'agent-pod', cluster: 'prod', server: 'https://gw', tokenFile }),
      );
      const view = JSON.parse(
        execFileSync('/usr/bin/kubectl', ['config', 'view', '--raw', '-o', 'json', '--kubeconfig', file], {
          encoding: 'utf8',
        }),
      );
      expect(view.users[0].user).toEqual({ tokenFile });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('leaves the CA out when a public CA signed the gateway certificate', () => {
    expect(renderKubeconfig({ agent: 'a', cluster: 'c', server: 'https://gw', token: 't' })).not.toContain(
      'certificate-authority',
    );
  });
});

import type { KubeObject } from './store.js';

interface Named {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
}

export const namespace = (name: string, labels?: Record<string, string>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name, ...(labels ? { labels } : {}) },
});

/** A Running pod with one container (kubectl exec and logs pick its first container). */
export const pod = ({ name, namespace = 'default', labels }: Named, containers = ['app']): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace, ...(labels ? { labels } : {}) },
  spec: { containers: containers.map((c) => ({ name: c, image: 'busybox:1.36' })) },
  status: {
    phase: 'Running',
    // Every field the API server always sets: typed clients (Python's V1ContainerStatus) require image and imageID.
    containerStatuses: containers.map((c) => ({
      name: c,
      image: 'docker.io/library/busybox:1.36',
      imageID:
        'docker.io/library/busybox@sha256:0000000000000000000000000000000000000000000000000000000000000000',
      containerID: `containerd://${c}`,
      ready: true,
      started: true,
      restartCount: 0,
      state: { running: { startedAt: '2026-01-01T00:00:00Z' } },
    })),
  },
});

export const deployment = ({ name, namespace = 'default', labels }: Named, replicas = 2): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace, labels: labels ?? { app: name } },
  spec: {
    replicas,
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name } },
      spec: { containers: [{ name: 'app', image: 'busybox:1.36' }] },
    },
  },
  status: { replicas, readyReplicas: replicas },
});

export const configMap = (
  { name, namespace = 'default', labels }: Named,
  data: Record<string, string> = {},
): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace, ...(labels ? { labels } : {}) },
  data,
});

import type { ResourceType } from './resources.js';
import type { KubeObject } from './store.js';

const REPLICATED = new Set(['deployments', 'statefulsets', 'replicasets']);

/**
 * The fake cluster's controllers converge at once: a replicated workload's status reports every
 * desired replica updated and ready for the current generation, so `kubectl rollout status` and
 * `kubectl wait` finish instead of waiting for pods that will never run.
 */
export function converge(t: ResourceType, object: KubeObject): KubeObject {
  if (t.group !== 'apps' || !REPLICATED.has(t.resource)) return object;
  const replicas = (object.spec as { replicas?: number } | undefined)?.replicas ?? 1;
  const status = {
    ...(object.status as object | undefined),
    observedGeneration: object.metadata.generation,
    replicas,
    updatedReplicas: replicas,
    readyReplicas: replicas,
    availableReplicas: replicas,
    ...(t.resource === 'deployments'
      ? {
          conditions: [
            { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable' },
            { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable' },
          ],
        }
      : {}),
    ...(t.resource === 'statefulsets'
      ? { currentReplicas: replicas, currentRevision: 'rev-1', updateRevision: 'rev-1' }
      : {}),
  };
  return { ...object, status };
}

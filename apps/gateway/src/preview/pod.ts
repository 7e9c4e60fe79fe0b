import type { KubeReader } from './kube.js';
import { controllerOf, type KubeObject, type OwnerReference } from './objects.js';
import { resourcePath } from './paths.js';

interface Pod extends KubeObject {
  readonly spec?: {
    readonly containers?: readonly { readonly name: string; readonly image?: string }[];
    readonly nodeName?: string;
    readonly serviceAccountName?: string;
  };
  readonly status?: { readonly phase?: string };
}

/**
 * exec / attach / port-forward: which pod, its containers and images, the node, the workload it
 * belongs to (a ReplicaSet is followed one step to its Deployment) and the service account it runs as.
 */
export async function podSessionPreview(
  reader: KubeReader,
  target: { readonly namespace: string; readonly name: string; readonly container?: string | undefined },
  verb: string,
): Promise<string> {
  const pod = await reader.get<Pod>(
    resourcePath({
      group: '',
      version: 'v1',
      resource: 'pods',
      namespace: target.namespace,
      name: target.name,
    }),
  );
  if (!pod) return `Pod ${target.name} does not exist in namespace ${target.namespace}`;
  const owner = await ownerWorkload(reader, target.namespace, controllerOf(pod.metadata));
  const containers = (pod.spec?.containers ?? [])
    .map((container) => `${container.name} (${container.image ?? 'no image'})`)
    .join(', ');
  const into = target.container ? ` container ${target.container} of` : '';
  const phase = pod.status?.phase ? ` (${pod.status.phase})` : '';
  return [
    `${verb}${into} pod ${target.name}${phase}: containers ${containers || 'none'}`,
    `node ${pod.spec?.nodeName ?? 'not scheduled'}`,
    owner ? `owned by ${owner}` : 'owned by nothing',
    `service account ${pod.spec?.serviceAccountName ?? 'default'}`,
  ].join('; ');
}

async function ownerWorkload(
  reader: KubeReader,
  namespace: string,
  owner: OwnerReference | undefined,
): Promise<string | undefined> {
  if (!owner) return undefined;
  if (owner.kind !== 'ReplicaSet') return `${owner.kind} ${owner.name}`;
  const replicaSet = await reader.get<KubeObject>(
    resourcePath({ group: 'apps', version: 'v1', resource: 'replicasets', namespace, name: owner.name }),
    { metadataOnly: true },
  );
  const deployment = replicaSet ? controllerOf(replicaSet.metadata) : undefined;
  return deployment
    ? `${deployment.kind} ${deployment.name} (via ReplicaSet ${owner.name})`
    : `ReplicaSet ${owner.name}`;
}

import type { KubeReader } from './kube.js';
import { ageOf, controllerOf, type KubeObject, singular } from './objects.js';
import { type ResourceRef, resourcePath } from './paths.js';

/**
 * Deleting one object: what it is, how old, and what owns it (its controller may recreate it).
 * Read metadata-only, so a Secret's data is never fetched.
 */
export async function objectPreview(
  reader: KubeReader,
  ref: ResourceRef & { readonly name: string },
  now: number,
): Promise<string> {
  const kind = singular(ref.resource);
  const where = ref.namespace === undefined ? '' : ` in namespace ${ref.namespace}`;
  const object = await reader.get<KubeObject>(resourcePath(ref), { metadataOnly: true });
  if (!object) return `${kind} ${ref.name} does not exist${where}`;
  const age = ageOf(object.metadata, now);
  const owners = object.metadata.ownerReferences ?? [];
  const controller = controllerOf(object.metadata);
  const owned =
    owners.length === 0
      ? 'owned by nothing'
      : `owned by ${owners.map((owner) => `${owner.kind} ${owner.name}`).join(', ')}` +
        (controller?.controller ? ` (${controller.kind} ${controller.name} may recreate it)` : '');
  return `Would delete ${kind} ${ref.name}${where}${age ? ` (age ${age})` : ''}; ${owned}`;
}

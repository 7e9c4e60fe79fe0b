import type { KubeReader } from './kube.js';
import { counted, countOf, firstNames, type KubeList, PAGE, singular } from './objects.js';
import { type ResourceRef, resourcePath } from './paths.js';

/** deletecollection: how many objects the selectors match, and the first few names (metadata only). */
export async function collectionPreview(
  reader: KubeReader,
  ref: ResourceRef,
  selectors: { readonly labelSelector?: string | undefined; readonly fieldSelector?: string | undefined },
): Promise<string> {
  const list = await reader.list<KubeList>(resourcePath({ ...ref, name: undefined }), {
    metadataOnly: true,
    query: { limit: PAGE, labelSelector: selectors.labelSelector, fieldSelector: selectors.fieldSelector },
  });
  const matching = [selectors.labelSelector, selectors.fieldSelector].filter(Boolean).join(', ');
  const scope = `${matching ? ` matching ${matching}` : ''}${ref.namespace ? ` in namespace ${ref.namespace}` : ''}`;
  const count = countOf(list);
  if (count.count === 0) return `No ${ref.resource}${scope}; nothing would be deleted`;
  const names = (list?.items ?? []).map((item) => item.metadata.name);
  return `Would delete ${counted(count, singular(ref.resource), ref.resource)}${scope}: ${firstNames(names, count.count)}`;
}

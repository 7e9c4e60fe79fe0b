import type { ListMeta } from './paging.js';
import type { KubeObject } from './store.js';

/** Whether the client asked for server-side printing (kubectl get sends `as=Table` first). */
export const wantsTable = (accept: string | undefined): boolean => (accept ?? '').includes('as=Table');

const COLUMNS = [
  { name: 'Name', type: 'string', format: 'name', description: 'Name of the object', priority: 0 },
  { name: 'Created At', type: 'date', format: '', description: 'When the object was created', priority: 0 },
];

function rowObject(object: KubeObject, include: string | null) {
  if (include === 'None') return undefined;
  if (include === 'Object') return object;
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: object.metadata };
}

/** The API server's default table (Name, Created At) over objects, as for any type without printers. */
export function toTable(objects: KubeObject[], metadata: ListMeta, includeObject: string | null) {
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata,
    columnDefinitions: COLUMNS,
    rows: objects.map((o) => ({
      cells: [o.metadata.name, o.metadata.creationTimestamp],
      object: rowObject(o, includeObject),
    })),
  };
}

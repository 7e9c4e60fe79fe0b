/** Where a resource lives in the API: `/api/v1/namespaces/<ns>/pods/<name>`, `/apis/apps/v1/…`. */
export interface ResourceRef {
  /** '' for the core group. */
  readonly group: string;
  readonly version: string;
  readonly resource: string;
  readonly namespace?: string | undefined;
  readonly name?: string | undefined;
}

export function resourcePath(ref: ResourceRef): string {
  const base = ref.group === '' ? `/api/${ref.version}` : `/apis/${ref.group}/${ref.version}`;
  const namespace = ref.namespace === undefined ? '' : `/namespaces/${encodeURIComponent(ref.namespace)}`;
  const name = ref.name === undefined ? '' : `/${encodeURIComponent(ref.name)}`;
  return `${base}${namespace}/${ref.resource}${name}`;
}

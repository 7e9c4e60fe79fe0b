import { VERSION_INFO } from './discovery.js';
import { groupVersions, RESOURCE_TYPES, type ResourceType } from './resources.js';

/**
 * Just enough OpenAPI for kubectl: no schemas (kubectl then falls back to its compiled-in types for
 * strategic merge patches), but each object path's PATCH names its GVK and the `fieldValidation`
 * parameter, which tells kubectl to leave validation to the server instead of downloading schemas.
 */

const gvPath = (group: string, version: string): string =>
  group ? `apis/${group}/${version}` : `api/${version}`;

/** GET /openapi/v3: the index of per-group-version documents. */
export function openApiV3Index() {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const [group, versions] of groupVersions()) {
    for (const version of versions) {
      const path = gvPath(group, version);
      paths[path] = { serverRelativeURL: `/openapi/v3/${path}?hash=testkit` };
    }
  }
  return { paths };
}

function objectPath(t: ResourceType): string {
  const prefix = `/${gvPath(t.group, t.version)}`;
  return t.namespaced
    ? `${prefix}/namespaces/{namespace}/${t.resource}/{name}`
    : `${prefix}/${t.resource}/{name}`;
}

/** GET /openapi/v3/api/v1 or /openapi/v3/apis/<g>/<v>; undefined when not served. */
export function openApiV3Document(path: string) {
  const types = RESOURCE_TYPES.filter((t) => gvPath(t.group, t.version) === path);
  if (types.length === 0) return undefined;
  const parameter = { name: 'fieldValidation', in: 'query', schema: { type: 'string', uniqueItems: true } };
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: VERSION_INFO.gitVersion },
    paths: Object.fromEntries(
      types.map((t) => [
        objectPath(t),
        {
          patch: {
            operationId: `patch${t.kind}`,
            parameters: [parameter],
            responses: {},
            'x-kubernetes-action': 'patch',
            'x-kubernetes-group-version-kind': { group: t.group, version: t.version, kind: t.kind },
          },
        },
      ]),
    ),
    components: { schemas: {} },
  };
}

/** GET /openapi/v2 as JSON: a valid, schema-less Swagger document. */
export function openApiV2Json() {
  return {
    swagger: '2.0',
    info: { title: 'Kubernetes', version: VERSION_INFO.gitVersion },
    paths: {},
    definitions: {},
  };
}

/** Content type kubectl asks /openapi/v2 for. */
export const OPENAPI_V2_PROTOBUF = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';

/** Length-delimited protobuf field (wire type 2), all this tiny document needs. */
function field(number: number, payload: Buffer): Buffer {
  const length: number[] = [];
  let n = payload.length;
  while (n > 0x7f) {
    length.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  length.push(n);
  return Buffer.concat([Buffer.from([(number << 3) | 2, ...length]), payload]);
}

/**
 * The same document in gnostic's openapi_v2.Document protobuf (swagger = 1, info = 2 with
 * title = 1, version = 2), which is what kubectl requests; schema-less, so kubectl falls back to
 * its compiled-in types.
 */
export function openApiV2Protobuf(): Buffer {
  const info = Buffer.concat([
    field(1, Buffer.from('Kubernetes')),
    field(2, Buffer.from(VERSION_INFO.gitVersion)),
  ]);
  return Buffer.concat([field(1, Buffer.from('2.0')), field(2, info)]);
}

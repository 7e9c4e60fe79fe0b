import type { ServerResponse } from 'node:http';
import {
  aggregatedContentType,
  aggregatedDiscovery,
  aggregatedVersionAccepted,
  coreVersions,
  group,
  groupList,
  resourceList,
  VERSION_INFO,
} from './discovery.js';
import { queryFlag } from './go-url.js';
import { sendJson } from './http.js';
import type { PodLogs } from './logs.js';
import {
  OPENAPI_V2_PROTOBUF,
  openApiV2Json,
  openApiV2Protobuf,
  openApiV3Document,
  openApiV3Index,
} from './openapi.js';
import { type ApiRequest, handleObjects } from './rest.js';
import type { ResourceRoute, Route } from './routes.js';
import { badRequest, methodNotAllowed, notFound, pathNotFound } from './status.js';
import type { ObjectStore } from './store.js';
import { handleSubresource } from './subresources.js';
import { serveWatch, type Watches } from './watch.js';

export interface ServeDeps {
  store: ObjectStore;
  logs: PodLogs;
  watches: Watches;
  discovery: 'auto' | 'legacy';
}

function found<T>(value: T | undefined, path: string): T {
  if (value === undefined) throw pathNotFound(path);
  return value;
}

function discoveryDocument(scope: 'core' | 'groups', req: ApiRequest, res: ServerResponse, deps: ServeDeps) {
  const aggregated = deps.discovery === 'auto' ? aggregatedVersionAccepted(req.headers.accept) : undefined;
  if (aggregated) {
    sendJson(res, 200, aggregatedDiscovery(scope, aggregated), aggregatedContentType(aggregated));
  } else sendJson(res, 200, scope === 'core' ? coreVersions() : groupList());
}

const isWatch = (r: ResourceRoute, req: ApiRequest): boolean =>
  r.legacyWatch || queryFlag(req.query, 'watch');

function serveResource(r: ResourceRoute, req: ApiRequest, res: ServerResponse, deps: ServeDeps) {
  if (req.method === 'GET' && isWatch(r, req) && r.subresource === undefined) {
    return serveWatch(r, deps.store, deps.watches, req, res);
  }
  if (r.subresource === undefined) {
    const { status, body } = handleObjects(r, deps.store, req);
    return sendJson(res, status, body);
  }
  if (r.subresource === 'log') {
    if (req.method !== 'GET') throw methodNotAllowed(req.method, req.path);
    const namespace = r.namespace ?? 'default';
    if (!deps.store.get(r.type, namespace, r.name ?? '')) throw notFound({ kind: 'pods', name: r.name });
    return deps.logs.serve(namespace, r.name ?? '', req, res);
  }
  if (['exec', 'attach', 'portforward'].includes(r.subresource)) {
    throw badRequest(
      `${r.subresource} needs a protocol upgrade (WebSocket v5.channel.k8s.io); this request had none`,
    );
  }
  const { status, body } = handleSubresource(r, deps.store, req);
  sendJson(res, status, body);
}

/** Answers one (non-upgrade) request; KubeStatusErrors thrown here become `Status` responses. */
export function serveApi(r: Route, req: ApiRequest, res: ServerResponse, deps: ServeDeps) {
  const readOnly = () => {
    if (req.method !== 'GET') throw methodNotAllowed(req.method, req.path);
  };
  switch (r.kind) {
    case 'version':
      readOnly();
      return sendJson(res, 200, VERSION_INFO);
    case 'health':
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok');
      return;
    case 'core-discovery':
      readOnly();
      return discoveryDocument('core', req, res, deps);
    case 'groups-discovery':
      readOnly();
      return discoveryDocument('groups', req, res, deps);
    case 'group':
      readOnly();
      return sendJson(res, 200, found(group(r.group), req.path));
    case 'resource-list':
      readOnly();
      return sendJson(res, 200, found(resourceList(r.group, r.version), req.path));
    case 'openapi-v2': {
      readOnly();
      if (!(req.headers.accept ?? '').includes(OPENAPI_V2_PROTOBUF))
        return sendJson(res, 200, openApiV2Json());
      const document = openApiV2Protobuf();
      res
        .writeHead(200, { 'Content-Type': OPENAPI_V2_PROTOBUF, 'Content-Length': document.length })
        .end(document);
      return;
    }
    case 'openapi-v3-index':
      readOnly();
      return sendJson(res, 200, openApiV3Index());
    case 'openapi-v3':
      readOnly();
      return sendJson(res, 200, found(openApiV3Document(r.path), req.path));
    case 'resource':
      return serveResource(r, req, res, deps);
    case 'unknown':
      throw pathNotFound(req.path);
  }
}

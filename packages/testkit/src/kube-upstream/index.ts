export type { ExecSession } from './exec.js';
export { configMap, deployment, namespace, pod } from './fixtures.js';
export type { ClientCertSubject, KubeUpstreamAuth } from './incoming.js';
export type { InterceptAction } from './intercepts.js';
export type { PodLogs } from './logs.js';
export type { PodAddress, PodPorts, PortForwardSession } from './portforward.js';
export type { RecordedRequest, RequestFilter } from './recorder.js';
export type { ResourceType, SubresourceType } from './resources.js';
export { RESOURCE_TYPES } from './resources.js';
export type {
  KubeUpstream,
  KubeUpstreamOptions,
  KubeUpstreamTls,
} from './server.js';
export { startKubeUpstream } from './server.js';
export type { ShellCommand, ShellContext } from './shell.js';
export type { KubeObject, ObjectMeta, StoreEvent, WatchEventType } from './store.js';
export { ObjectStore } from './store.js';

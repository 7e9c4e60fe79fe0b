export { stopAllProcesses } from './cleanup.js';
export type { BackgroundKubectl, KubectlOptions, KubectlResult } from './kubectl.js';
export { KUBECTL, KUBECTL_1_20, runKubectl, startKubectl } from './kubectl.js';
export { freePort } from './ports.js';
export {
  KUBECTL_PREREQUISITE,
  missingPrerequisites,
  type Prerequisite,
  REDIS_SERVER_PREREQUISITE,
} from './prerequisites.js';
export type {
  ExitStatus,
  ManagedProcess,
  Readiness,
  StartNodeOptions,
  StartProcessOptions,
} from './spawn.js';
export { startNode, startProcess } from './spawn.js';
export { waitUntil } from './wait.js';

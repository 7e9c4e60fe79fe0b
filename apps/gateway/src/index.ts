export {
  type AgentCredential,
  type AgentIdentity,
  type Authenticator,
  type AuthResult,
  createAuthenticator,
  generateToken,
  hashToken,
} from './auth/index.js';
export { type AgentKubeconfig, type KubeconfigCredential, renderKubeconfig } from './cli/kubeconfig.js';
export { type CliIo, runCli } from './cli/main.js';
export { GatewayError, GatewayErrorCode } from './errors.js';
export { type KubeStatus, kubeStatus, type StatusReason } from './kube-status/index.js';
export type { ApprovalsPort, GatewayContext, OpenApprovalInput, PolicyPort } from './ports.js';
export { createGatewayServer, type GatewayServer, type ServerOptions } from './server/index.js';
export { type RunningGateway, type StartOptions, startGateway } from './startup/index.js';

export { createClusterUpstream } from './create.js';
export {
  AssumeRoleFailedError,
  CaUnreadableError,
  CredentialsFailedError,
  ImpersonationConflictError,
  InvalidServerUrlError,
  KubeconfigUnreadableError,
  MissingRoleArnError,
  MissingServerError,
  UnknownClusterTypeError,
  UnknownContextError,
  UpstreamError,
  UpstreamErrorCode,
} from './errors.js';
export type { ClusterUpstream, UpstreamDeps, UpstreamLogger } from './types.js';

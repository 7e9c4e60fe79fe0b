/** Codes for every way reaching a cluster can fail; callers branch on `code`, never on message text. */
export enum UpstreamErrorCode {
  UnknownClusterType = 'UPSTREAM_UNKNOWN_CLUSTER_TYPE',
  InvalidServerUrl = 'UPSTREAM_INVALID_SERVER_URL',
  MissingRoleArn = 'UPSTREAM_MISSING_ROLE_ARN',
  CaUnreadable = 'UPSTREAM_CA_UNREADABLE',
  KubeconfigUnreadable = 'UPSTREAM_KUBECONFIG_UNREADABLE',
  UnknownContext = 'UPSTREAM_UNKNOWN_CONTEXT',
  MissingServer = 'UPSTREAM_MISSING_SERVER',
  AssumeRoleFailed = 'UPSTREAM_ASSUME_ROLE_FAILED',
  CredentialsFailed = 'UPSTREAM_CREDENTIALS_FAILED',
  ImpersonationConflict = 'UPSTREAM_IMPERSONATION_CONFLICT',
}

export abstract class UpstreamError extends Error {
  abstract readonly code: UpstreamErrorCode;

  constructor(
    /** The cluster name from the gateway config. */
    readonly cluster: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`cluster ${cluster}: ${message}`, options);
    this.name = new.target.name;
  }
}

export class UnknownClusterTypeError extends UpstreamError {
  readonly code = UpstreamErrorCode.UnknownClusterType;
  constructor(cluster: string, type: string) {
    super(cluster, `unknown cluster type "${type}"; use "eks" or "kubeconfig"`);
  }
}

export class InvalidServerUrlError extends UpstreamError {
  readonly code = UpstreamErrorCode.InvalidServerUrl;
  constructor(cluster: string, server: string) {
    super(cluster, `server "${server}" is not an https:// or http:// URL; set it to the API server's URL`);
  }
}

export class MissingRoleArnError extends UpstreamError {
  readonly code = UpstreamErrorCode.MissingRoleArn;
  constructor(cluster: string) {
    super(
      cluster,
      'no IAM role to assume; set roleArn on the cluster entry or the EKS_ROLE_ARN environment variable',
    );
  }
}

export class CaUnreadableError extends UpstreamError {
  readonly code = UpstreamErrorCode.CaUnreadable;
  constructor(cluster: string, source: string, cause?: unknown) {
    super(cluster, `cannot read the cluster CA from ${source}; it must be a readable PEM certificate`, {
      cause,
    });
  }
}

export class KubeconfigUnreadableError extends UpstreamError {
  readonly code = UpstreamErrorCode.KubeconfigUnreadable;
  constructor(cluster: string, path: string, cause?: unknown) {
    super(cluster, `cannot load kubeconfig ${path}; check the path and that it is valid YAML`, { cause });
  }
}

export class UnknownContextError extends UpstreamError {
  readonly code = UpstreamErrorCode.UnknownContext;
  constructor(cluster: string, context: string, path: string, known: readonly string[]) {
    const choices = known.length > 0 ? known.join(', ') : 'none';
    super(cluster, `context "${context}" is not in kubeconfig ${path} (contexts: ${choices})`);
  }
}

export class MissingServerError extends UpstreamError {
  readonly code = UpstreamErrorCode.MissingServer;
  constructor(cluster: string, context: string, path: string) {
    super(cluster, `context "${context}" in kubeconfig ${path} names no cluster with a server URL`);
  }
}

export class AssumeRoleFailedError extends UpstreamError {
  readonly code = UpstreamErrorCode.AssumeRoleFailed;
  constructor(cluster: string, roleArn: string, cause?: unknown) {
    const reason = cause instanceof Error ? `: ${cause.name}: ${cause.message}` : '';
    super(
      cluster,
      `STS AssumeRole into ${roleArn} failed${reason}; check the gateway's AWS credentials and the role's trust policy`,
      { cause },
    );
  }
}

export class CredentialsFailedError extends UpstreamError {
  readonly code = UpstreamErrorCode.CredentialsFailed;
  constructor(cluster: string, detail: string, cause?: unknown) {
    super(cluster, `cannot obtain upstream credentials: ${detail}`, { cause });
  }
}

export class ImpersonationConflictError extends UpstreamError {
  readonly code = UpstreamErrorCode.ImpersonationConflict;
  constructor(cluster: string, context: string, path: string, user: string) {
    super(
      cluster,
      `context "${context}" of kubeconfig ${path} impersonates "${user}" (as:), but the gateway sets each ` +
        "agent's identity itself; remove as: from the kubeconfig's user, or set impersonate: false on the " +
        'cluster to run every agent as that one identity',
    );
  }
}

/** Codes for everything the gateway refuses to start with or fails at; callers branch on these. */
export enum GatewayErrorCode {
  ConfigInvalid = 'GATEWAY_CONFIG_INVALID',
  ClusterInvalid = 'GATEWAY_CLUSTER_INVALID',
  PolicyInvalid = 'GATEWAY_POLICY_INVALID',
  RedisUnreachable = 'GATEWAY_REDIS_UNREACHABLE',
  TlsUnreadable = 'GATEWAY_TLS_UNREADABLE',
  ListenFailed = 'GATEWAY_LISTEN_FAILED',
  UsageInvalid = 'GATEWAY_USAGE_INVALID',
  /** An identity provider's caFile cannot be read at start-up. */
  IdentityProviderInvalid = 'GATEWAY_IDENTITY_PROVIDER_INVALID',
  /** An identity provider's discovery document or keys could not be fetched or were not valid. */
  IdentityProviderUnavailable = 'GATEWAY_IDENTITY_PROVIDER_UNAVAILABLE',
  /** A blast-radius preview could not read the cluster; the preview says unavailable, nothing else fails. */
  PreviewReadFailed = 'GATEWAY_PREVIEW_READ_FAILED',
  /** A preview needed more requests than gateway.previewMaxRequests allows; it says unavailable. */
  PreviewBudgetExceeded = 'GATEWAY_PREVIEW_BUDGET_EXCEEDED',
}

/** A coded gateway error; `message` names the thing, its state and the fix. */
export class GatewayError extends Error {
  override readonly name = 'GatewayError';
  constructor(
    readonly code: GatewayErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

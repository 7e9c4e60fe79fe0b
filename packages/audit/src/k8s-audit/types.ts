/**
 * The `audit.k8s.io/v1` Event as the Kubernetes API server writes it, field for field from
 * kubernetes/kubernetes staging/src/k8s.io/apiserver/pkg/apis/audit/v1/types.go (Event,
 * ObjectReference), k8s.io/api/authentication/v1 UserInfo and k8s.io/apimachinery metav1.Status.
 * Only the fields Gatehouse can fill are typed; requestObject/responseObject are never written
 * (Gatehouse exports at level Metadata).
 */

export type K8sAuditStage = 'RequestReceived' | 'ResponseStarted' | 'ResponseComplete' | 'Panic';

/** authentication/v1 UserInfo: every field `omitempty`. */
export interface K8sUserInfo {
  readonly username?: string;
  readonly uid?: string;
  readonly groups?: readonly string[];
  readonly extra?: Readonly<Record<string, readonly string[]>>;
}

export interface K8sObjectReference {
  readonly resource?: string;
  readonly namespace?: string;
  readonly name?: string;
  readonly apiGroup?: string;
  readonly apiVersion?: string;
  readonly subresource?: string;
}

/** metav1.Status as the audit log carries it: `{metadata: {}, code}` for success, with reason and message on failure. */
export interface K8sStatus {
  readonly metadata: Record<string, never>;
  readonly status: 'Success' | 'Failure';
  readonly code: number;
  readonly reason?: string;
  readonly message?: string;
}

export interface K8sAuditEvent {
  readonly kind: 'Event';
  readonly apiVersion: 'audit.k8s.io/v1';
  readonly level: 'Metadata';
  readonly auditID: string;
  readonly stage: K8sAuditStage;
  readonly requestURI: string;
  readonly verb: string;
  readonly user: K8sUserInfo;
  readonly impersonatedUser?: K8sUserInfo;
  readonly sourceIPs?: readonly string[];
  readonly userAgent?: string;
  readonly objectRef?: K8sObjectReference;
  readonly responseStatus?: K8sStatus;
  /** metav1.MicroTime: RFC 3339 with microseconds. */
  readonly requestReceivedTimestamp: string;
  readonly stageTimestamp: string;
  readonly annotations: Readonly<Record<string, string>>;
}

/** Codes for every failure the test kit reports; tests branch on `code`, never on message text. */
export enum TestkitErrorCode {
  RedisUnavailable = 'TESTKIT_REDIS_UNAVAILABLE',
  ProcessNotReady = 'TESTKIT_PROCESS_NOT_READY',
  ProcessExited = 'TESTKIT_PROCESS_EXITED',
  KubectlTimeout = 'TESTKIT_KUBECTL_TIMEOUT',
  KubeStatus = 'TESTKIT_KUBE_STATUS',
  WaitTimeout = 'TESTKIT_WAIT_TIMEOUT',
  EksTokenMalformed = 'TESTKIT_EKS_TOKEN_MALFORMED',
}

/** A test-environment problem, with a message that names what was expected and how to fix it. */
export class TestkitError extends Error {
  override readonly name = 'TestkitError';
  constructor(
    readonly code: TestkitErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** The body of a Kubernetes `Status` failure, as the API server sends it. */
export interface KubeStatus {
  kind: 'Status';
  apiVersion: 'v1';
  /** Empty, but for an expired continue token: a token to go on from, inconsistently (ListMeta.continue). */
  metadata: { continue?: string };
  status: 'Failure';
  message: string;
  reason: string;
  code: number;
  details?: { name?: string; group?: string; kind?: string; causes?: { reason: string; message: string }[] };
}

/** Thrown inside the fake Kubernetes upstream; the HTTP layer answers with its `status` body. */
export class KubeStatusError extends Error {
  override readonly name = 'KubeStatusError';
  readonly code = TestkitErrorCode.KubeStatus;
  constructor(readonly status: KubeStatus) {
    super(status.message);
  }
}

/** Codes for every failure the test kit reports; tests branch on `code`, never on message text. */
export enum TestkitErrorCode {
  RedisUnavailable = 'TESTKIT_REDIS_UNAVAILABLE',
  ProcessNotReady = 'TESTKIT_PROCESS_NOT_READY',
  ProcessExited = 'TESTKIT_PROCESS_EXITED',
  KubectlTimeout = 'TESTKIT_KUBECTL_TIMEOUT',
  UpstreamNotListening = 'TESTKIT_UPSTREAM_NOT_LISTENING',
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

/**
 * For a request to a cluster that carries a body its method does not expect (a DELETE with its
 * DeleteOptions, the preview's dry-run DELETE): keep the connection afterwards. Undici closes it after
 * such a request unless told `reset: false` (`!expectsPayload && request.reset !== false` in undici 7
 * lib/dispatcher/client-h1.js, writeBuffer and friends), to protect servers that leave such a body
 * unread on the socket. The API server is not one: Go's server frames every request body by its
 * Content-Length whatever the method and drains what a handler left (net/http transfer.go readTransfer,
 * server.go maxPostHandlerReadBytes), and the delete handler reads DeleteOptions from the body
 * (k8s.io/apiserver/pkg/endpoints/handlers/delete.go, limitedReadBodyWithRecordMetric). Without it,
 * every approved delete cost a new TLS connection to the cluster (scripts/bench/findings.md).
 */
export const KEEP_CONNECTION = { reset: false } as const;

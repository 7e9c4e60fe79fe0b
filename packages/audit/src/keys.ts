/** Every Redis key the audit log uses, built in one place. */
export interface AuditKeys {
  /** Hash {seq, hash}: the chain head every writer compares-and-sets. */
  readonly head: string;
  /** The writer whose turn it is after losing a compare-and-set (see store/append-script.ts). */
  readonly turn: string;
  /** Stream of serialised events, field `e`, in chain order. */
  readonly log: string;
  /**
   * List of JSON events (each with its `time`) that state changes pushed in the same Lua script as
   * the change (the approvals store's transitions); drained into the chain in list order, so the
   * chain's order is the order the changes happened in, whichever process made them.
   */
  readonly outbox: string;
  /** List of stream ids of one approval's events, so `show` need not scan the log. */
  approval(approvalId: string): string;
  /** Hash {seq, id}: the last chain event a webhook sink delivered (seq) and its stream id. */
  sinkCursor(sink: string): string;
  /** The id of the process shipping to that sink now (expires), so replicas never ship twice. */
  sinkLease(sink: string): string;
}

export function auditKeys(prefix: string): AuditKeys {
  const base = `${prefix}:audit`;
  return {
    head: `${base}:head`,
    turn: `${base}:turn`,
    log: `${base}:log`,
    outbox: `${base}:outbox`,
    approval: (approvalId) => `${base}:approval:${approvalId}`,
    sinkCursor: (sink) => `${base}:sink:${sink}:cursor`,
    sinkLease: (sink) => `${base}:sink:${sink}:lease`,
  };
}

/** Where chained events are shipped besides Redis (a SIEM reads these); gets each committed batch in chain order. */
export interface AuditSink {
  readonly name: string;
  /** Serialised events, one per line, already committed to the chain. */
  write(lines: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

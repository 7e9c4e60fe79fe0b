/** One line of the results table. */
export interface Row {
  readonly section: string;
  readonly measure: string;
  readonly value: string;
  /** The goal as written in issue 8, or '' when the row is context for another. */
  readonly goal: string;
  /** undefined: no goal on this row. */
  readonly met?: boolean | undefined;
}

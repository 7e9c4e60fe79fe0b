/** Percentiles and ratios for the benchmark tables; inputs are unsorted samples. */

export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}

export function median(samples: readonly number[]): number {
  return percentile(samples, 50);
}

/** `12.3` → "12.3", keeping a fixed number of decimals for tables. */
export function fixed(value: number, digits = 2): string {
  return Number.isFinite(value) ? value.toFixed(digits) : 'n/a';
}

/** Grouped thousands: 12345 → "12,345". */
export function count(value: number): string {
  return Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : 'n/a';
}

/** Milliseconds since an arbitrary point, from the monotonic clock every process on the host shares. */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

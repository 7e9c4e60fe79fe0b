/** Kubernetes resource quantities (`20Gi`, `500M`, `1.5Ti`) as bytes, and back for humans. */

const SUFFIX: Readonly<Record<string, number>> = {
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** Bytes, or undefined for text that is not a quantity (left out of sums rather than guessed). */
export function parseQuantity(text: string): number | undefined {
  const match = /^([0-9]+(?:\.[0-9]+)?)(?:[eE]([0-9]+))?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$/.exec(text.trim());
  if (!match) return undefined;
  const [, number = '0', exponent, suffix = ''] = match;
  return Number(number) * 10 ** Number(exponent ?? 0) * (SUFFIX[suffix] ?? 1);
}

const UNITS = ['Ei', 'Pi', 'Ti', 'Gi', 'Mi', 'Ki'] as const;

/** `21474836480` → `20Gi`; one decimal at most. */
export function formatBytes(bytes: number): string {
  for (const unit of UNITS) {
    const size = SUFFIX[unit] ?? 1;
    if (bytes >= size) return `${Number((bytes / size).toFixed(1))}${unit}`;
  }
  return `${Math.round(bytes)}B`;
}

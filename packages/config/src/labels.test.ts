import { describe, expect, it } from 'vitest';
import { ConfigError } from './errors.js';
import { parseConfig } from './load.js';

const base = {
  clusters: [{ name: 'local', type: 'kubeconfig', kubeconfig: 'kube/config' }],
};
const parse = (labels: unknown) => parseConfig({ ...base, labels }, { baseDir: '/etc/gatehouse' });

function issues(labels: unknown): readonly string[] {
  try {
    parse(labels);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).issues;
  }
  throw new Error('expected a ConfigError, got a valid config');
}

describe('parseConfig labels', () => {
  it('defaults to a 3-minute staleness bound, pages of 500, a 2 s object read and 16 reads in flight', () => {
    expect(parseConfig(base, { baseDir: '/etc/gatehouse' }).labels).toEqual({
      staleAfterMs: 180_000,
      listPageSize: 500,
      objectReadTimeoutMs: 2_000,
      maxObjectReads: 16,
    });
  });

  it('reads durations like the other keys', () => {
    const labels = { staleAfter: '5m', listPageSize: 100, objectReadTimeout: '750ms', maxObjectReads: 4 };
    expect(parse(labels).labels).toEqual({
      staleAfterMs: 300_000,
      listPageSize: 100,
      objectReadTimeoutMs: 750,
      maxObjectReads: 4,
    });
  });

  it('names each bad key and why', () => {
    expect(
      issues({
        staleAfter: '30s',
        listPageSize: 0,
        objectReadTimeout: 'soon',
        maxObjectReads: 1.5,
        extra: 1,
      }),
    ).toEqual([
      "labels.staleAfter: must be more than 1m: the API server bookmarks a quiet watch about every minute, so a shorter bound makes a healthy cluster's namespace labels unknown; the default is 3m",
      'labels.listPageSize: at least 1 namespace per list request; the default is 500',
      'labels.objectReadTimeout: not a duration: "soon" (use e.g. 30s, 10m, 1h)',
      'labels.maxObjectReads: a whole number of reads',
      'labels: unknown field extra',
    ]);
    expect(issues({ objectReadTimeout: 0 })).toEqual(['labels.objectReadTimeout: must be longer than 0s']);
  });
});

import { describe, expect, it } from 'vitest';
import { queryFlag } from './go-url.js';

describe('queryFlag', () => {
  it('reads a boolean parameter as the API server converts it: only absent, 0 and false are false', () => {
    const flag = (query: string) => queryFlag(new URLSearchParams(query), 'follow');
    expect([flag(''), flag('follow=0'), flag('follow=false'), flag('follow=FALSE')]).toEqual([
      false,
      false,
      false,
      false,
    ]);
    expect([flag('follow=true'), flag('follow=True'), flag('follow=1'), flag('follow=')]).toEqual([
      true,
      true,
      true,
      true,
    ]);
  });
});

import { describe, expect, it } from 'vitest';
import { KUBECTL_PREREQUISITE, missingPrerequisites } from './prerequisites.js';

describe('missingPrerequisites', () => {
  it('finds the real kubectl', () => {
    expect(missingPrerequisites([KUBECTL_PREREQUISITE])).toEqual([]);
  });

  it('names a missing program, where it looked, and how to get it', () => {
    const missing = missingPrerequisites([{ ...KUBECTL_PREREQUISITE, command: '/nonexistent/kubectl' }]);
    expect(missing).toEqual([
      expect.stringMatching(
        /^kubectl is missing \(\/nonexistent\/kubectl: spawnSync \/nonexistent\/kubectl ENOENT\): .*Install it/,
      ),
    ]);
  });
});

import type { ChildProcess } from 'node:child_process';
import { onTestFinished } from 'vitest';

/** Each live child and how to stop it gracefully. */
const live = new Map<ChildProcess, () => Promise<unknown>>();
let exitHookInstalled = false;

/**
 * Tracks a child so it never outlives its test: stopped when the current test finishes (when
 * started inside one), by {@link stopAllProcesses} from afterAll otherwise, and SIGKILLed when the
 * test worker exits, whatever happened.
 */
export function track(child: ChildProcess, stop: () => Promise<unknown>): void {
  live.set(child, stop);
  child.once('exit', () => live.delete(child));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const c of live.keys()) c.kill('SIGKILL');
    });
  }
  try {
    onTestFinished(async () => {
      await stop();
    });
  } catch {
    // Started from a hook or outside a test: no test owns it; afterAll or the exit hook stops it.
  }
}

/** Stops every process the test kit started in this worker; call it from afterAll. */
export async function stopAllProcesses(): Promise<void> {
  await Promise.all([...live.values()].map((stop) => stop()));
}

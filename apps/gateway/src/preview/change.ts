import type { ChangePreview, DryRunResult, HeldRequest } from '@gatehouse/approvals';
import type { Action, ResourceAction } from '@gatehouse/policy';
import type { ClusterUpstream } from '../upstream/index.js';
import { fieldDiff } from './diff.js';
import { type KubeReader, sendDryRun, unlessForbidden } from './kube.js';

/** The verbs whose effect is a new or changed object: their approval shows the change. */
const WRITES = new Set(['create', 'update', 'patch']);

export function isWrite(action: Action): action is ResourceAction {
  return action.kind === 'resource' && WRITES.has(action.verb);
}

const isSecret = (action: ResourceAction, ...objects: unknown[]) =>
  (action.apiGroup === '' && action.resource === 'secrets') ||
  objects.some((object) => (object as { kind?: unknown } | undefined)?.kind === 'Secret');

/**
 * A write's body as text, for when its change cannot be previewed: complete (renderers shorten it
 * and say so). A Secret's body shows its keys only — its values never leave the gateway.
 */
export function bodyChange(action: ResourceAction, request: HeldRequest, reason: string): ChangePreview {
  const contentType = request.headers['content-type'] ?? 'unknown';
  const body = request.bodyBase64 ? Buffer.from(request.bodyBase64, 'base64').toString('utf8') : '';
  if (!isSecret(action)) return { kind: 'body', reason, contentType, text: body === '' ? '(empty)' : body };
  let keys: string[] | undefined;
  try {
    const parsed = JSON.parse(body) as { data?: unknown; stringData?: unknown };
    keys = (['data', 'stringData'] as const).flatMap((field) => {
      const values = parsed[field];
      return typeof values === 'object' && values !== null
        ? Object.keys(values).map((k) => `${field}.${k}`)
        : [];
    });
  } catch {
    keys = undefined;
  }
  const text =
    keys === undefined
      ? `a Secret body of ${body.length} characters that is not JSON: its keys cannot be listed, and its values are never shown`
      : `a Secret: values are never shown; keys: ${keys.length > 0 ? keys.join(', ') : '(none)'}`;
  return { kind: 'body', reason, contentType, text };
}

export interface WriteChange {
  readonly dryRun: DryRunResult;
  /** Absent for a dry run that is not a write's (a delete). */
  readonly change?: ChangePreview | undefined;
}

/**
 * What a write would change: the live object (read as the gateway; none for a create, or where the
 * write creates it) against the server dry run's answer (sent as the agent), field by field. The API
 * server applies the request itself for the dry run, so the diff is exact for every patch type
 * (JSON, merge, strategic, server-side apply) and for admission defaults and mutations. A refused
 * dry run shows the body instead, with the API server's reason.
 */
export async function writeChange(
  action: ResourceAction,
  request: HeldRequest,
  reader: KubeReader,
  dispatchUpstream: ClusterUpstream,
  signal: AbortSignal,
): Promise<WriteChange> {
  // A create names a collection: there is no live object to read.
  const live =
    action.verb === 'create'
      ? Promise.resolve(undefined)
      : unlessForbidden(reader.get<unknown>(request.path));
  const [before, answer] = await Promise.all([live, sendDryRun(dispatchUpstream, request, signal)]);
  if (before === 'forbidden') {
    const why = `the gateway's credentials may not read ${request.path}, so the change cannot be compared`;
    return { dryRun: answer.result, change: bodyChange(action, request, why) };
  }
  if (answer.result.outcome === 'would-fail' || answer.object === undefined) {
    const why =
      answer.result.outcome === 'would-fail'
        ? `the dry run would fail: ${answer.result.message ?? 'no reason given'}`
        : 'the dry run answered with no object';
    return { dryRun: answer.result, change: bodyChange(action, request, why) };
  }
  const changes = fieldDiff(before, answer.object, { secret: isSecret(action, before, answer.object) });
  return { dryRun: answer.result, change: { kind: 'diff', changes } };
}

import { type KubeStatus, KubeStatusError } from '../errors.js';

interface Target {
  kind: string;
  name?: string;
  group?: string;
}

function failure(
  code: number,
  reason: string,
  message: string,
  details?: KubeStatus['details'],
): KubeStatusError {
  return new KubeStatusError({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    code,
    ...(details ? { details } : {}),
  });
}

const qualified = (t: Target): string => (t.group ? `${t.kind}.${t.group}` : t.kind);

export const notFound = (t: Target): KubeStatusError =>
  failure(404, 'NotFound', `${qualified(t)} "${t.name ?? ''}" not found`, { ...t });

export const alreadyExists = (t: Target): KubeStatusError =>
  failure(409, 'AlreadyExists', `${qualified(t)} "${t.name ?? ''}" already exists`, { ...t });

export const conflict = (t: Target, why: string): KubeStatusError =>
  failure(409, 'Conflict', `Operation cannot be fulfilled on ${qualified(t)} "${t.name ?? ''}": ${why}`, {
    ...t,
  });

export const badRequest = (message: string): KubeStatusError => failure(400, 'BadRequest', message);

export const invalid = (t: Target, message: string): KubeStatusError =>
  failure(422, 'Invalid', `${qualified(t)} "${t.name ?? ''}" is invalid: ${message}`, { ...t });

export const unauthorized = (): KubeStatusError => failure(401, 'Unauthorized', 'Unauthorized');

export const methodNotAllowed = (method: string, path: string): KubeStatusError =>
  failure(405, 'MethodNotAllowed', `the server does not allow this method (${method}) on ${path}`);

export const unsupportedMediaType = (contentType: string): KubeStatusError =>
  failure(415, 'UnsupportedMediaType', `the body of the request was in an unknown format: ${contentType}`);

export const gone = (message: string): KubeStatusError => failure(410, 'Expired', message);

/**
 * A continue token whose revision etcd compacted: apierrors.NewResourceExpired with etcd3/errors.go's
 * `inconsistentContinue` message, and in its ListMeta a token that goes on at the latest revision.
 */
export function expiredContinue(inconsistentToken: string): KubeStatusError {
  const expired = failure(
    410,
    'Expired',
    'The provided continue parameter is too old to display a consistent list result. You can start a ' +
      'new list without the continue parameter, or use the continue token in this response to retrieve ' +
      'the remainder of the results. Continuing with the provided token results in an inconsistent list ' +
      '- objects that were created, modified, or deleted between the time the first chunk was returned ' +
      'and now may show up in the list.',
  );
  expired.status.metadata.continue = inconsistentToken;
  return expired;
}

export const pathNotFound = (path: string): KubeStatusError =>
  failure(404, 'NotFound', `the server could not find the requested resource (${path})`);

export const internal = (message: string): KubeStatusError => failure(500, 'InternalError', message);

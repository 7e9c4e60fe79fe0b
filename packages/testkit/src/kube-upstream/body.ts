import { parse as parseYaml } from 'yaml';
import { jsonPatch, mergePatch } from './patch.js';
import { decodeKubeProtobuf } from './protobuf.js';
import { badRequest, unsupportedMediaType } from './status.js';
import { strategicMergePatch } from './strategic.js';

/** Parses a request body as JSON (or YAML when the content type says so). */
export function parseBody(body: Buffer, contentType: string | undefined): unknown {
  if ((contentType ?? '').includes('protobuf')) return decodeKubeProtobuf(body, contentType ?? '');
  const text = body.toString('utf8');
  if (text.trim() === '') throw badRequest('the request body is empty');
  try {
    return (contentType ?? '').includes('yaml') ? parseYaml(text) : JSON.parse(text);
  } catch (error) {
    throw badRequest(`the request body is not valid ${contentType ?? 'JSON'}: ${(error as Error).message}`);
  }
}

export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';

const PATCH_TYPES: Record<string, PatchType> = {
  'application/json-patch+json': 'json',
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
  'application/apply-patch+yaml': 'apply',
};

export function patchTypeOf(contentType: string | undefined): PatchType {
  const mediaType = (contentType ?? '').split(';')[0]?.trim() ?? '';
  const type = PATCH_TYPES[mediaType];
  if (!type) throw unsupportedMediaType(mediaType || '(none)');
  return type;
}

/**
 * Applies a patch. Server-side apply is treated as a JSON merge patch (no field ownership); strategic
 * merge follows the simplified rules of {@link strategicMergePatch}.
 */
export function applyPatch(
  target: unknown,
  type: PatchType,
  body: Buffer,
  contentType: string | undefined,
): unknown {
  const patch = parseBody(body, type === 'apply' ? 'application/yaml' : contentType);
  if (type === 'json') return jsonPatch(target, patch);
  return type === 'strategic' ? strategicMergePatch(target, patch) : mergePatch(target, patch);
}

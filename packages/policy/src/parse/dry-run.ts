import { printable } from '../render/printable.js';
import type { KubeRequest, Verb } from '../types.js';
import { type BodyFormat, decodeBody, mediaType } from './body.js';

/**
 * Whether the API server runs a request as a dry run, or refuses it for its `dryRun` values.
 *
 * From kubernetes staging/src/k8s.io/apiserver/pkg/endpoints/handlers (create.go, update.go,
 * patch.go, delete.go): the options come from the query (`ParameterCodec.DecodeParameters` reads
 * every `dryRun` value), except that a DELETE with a body decodes `DeleteOptions` from the body
 * and never looks at the query. `metav1validation.ValidateDryRun` then refuses any value but
 * `All` (`allowedDryRunValues.HasAll(dryRun...)`), and `dryrun.IsDryRun` is `len(dryRun) > 0`.
 * So: a dry run only when there is at least one value and every value is exactly `All`.
 */
export type DryRunReading =
  | { readonly kind: 'dryRun'; readonly dryRun: boolean }
  | { readonly kind: 'refused'; readonly reason: string };

const REAL: DryRunReading = { kind: 'dryRun', dryRun: false };
const DRY: DryRunReading = { kind: 'dryRun', dryRun: true };

export function readDryRun(req: KubeRequest, query: URLSearchParams, verb: Verb): DryRunReading {
  const hasBody = req.body !== undefined && req.body.length > 0;
  if ((verb === 'delete' || verb === 'deletecollection') && hasBody) return fromDeleteOptions(req);
  return fromValues(query.getAll('dryRun'), 'the dryRun query parameter');
}

function fromValues(values: readonly unknown[], where: string): DryRunReading {
  if (values.length === 0) return REAL;
  const wrong = values.filter((value) => value !== 'All');
  if (wrong.length === 0) return DRY;
  return {
    kind: 'refused',
    reason: `${where} has ${wrong.map(shown).join(', ')}; the only supported value is "All" (the API server refuses any other)`,
  };
}

/**
 * DeleteOptions in the body. A body the parser cannot read as the API server would (protobuf,
 * several Content-Types, a JSON body starting with a byte-order mark, which Go's encoding/json
 * refuses) is not taken for a dry run: the request is judged as the real delete it may be.
 */
function fromDeleteOptions(req: KubeRequest): DryRunReading {
  const format = deleteOptionsFormat(req);
  if (format === undefined) return REAL;
  const options = decodeBody(req, format)?.value;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) return REAL;
  if (!('dryRun' in options) || options.dryRun === null) return REAL;
  const values = options.dryRun;
  // Go decodes `dryRun` into []string: any other shape fails the request (400).
  if (!Array.isArray(values)) {
    return {
      kind: 'refused',
      reason: `DeleteOptions.dryRun in the body is ${shown(values)}, not a list of strings; send ["All"] or leave it out`,
    };
  }
  return fromValues(values, 'DeleteOptions.dryRun in the body');
}

/** NegotiateInputSerializer: no Content-Type means the first serializer, JSON; several are ambiguous. */
function deleteOptionsFormat(req: KubeRequest): BodyFormat | undefined {
  const header = req.headers['content-type'];
  if (header === undefined) return 'json';
  if (Array.isArray(header) && header.length !== 1) return undefined;
  const type = mediaType(req);
  if (type === 'application/json') return 'json';
  if (type === 'application/yaml') return 'yaml';
  return undefined;
}

/** A value from the request as it may be shown to people: JSON, every non-printable byte escaped. */
function shown(value: unknown): string {
  return printable(JSON.stringify(value) ?? String(value));
}

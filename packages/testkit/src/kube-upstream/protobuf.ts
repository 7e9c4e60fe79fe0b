import { unsupportedMediaType } from './status.js';

/**
 * Decodes the Kubernetes protobuf envelope ("k8s\0" + runtime.Unknown) for the few kinds kubectl's
 * typed `create` subcommands send as protobuf (namespace, configmap, secret, serviceaccount).
 * Field numbers come from k8s.io/api generated.proto; unknown fields are skipped.
 */

type Field =
  | { name: string; type: 'string' | 'bytes' | 'int' | 'bool' | 'strings' }
  | { name: string; type: 'map'; value: 'string' | 'bytes' }
  | { name: string; type: 'message'; schema: Schema };
type Schema = Record<number, Field>;

const OBJECT_META: Schema = {
  1: { name: 'name', type: 'string' },
  2: { name: 'generateName', type: 'string' },
  3: { name: 'namespace', type: 'string' },
  5: { name: 'uid', type: 'string' },
  6: { name: 'resourceVersion', type: 'string' },
  7: { name: 'generation', type: 'int' },
  11: { name: 'labels', type: 'map', value: 'string' },
  12: { name: 'annotations', type: 'map', value: 'string' },
  14: { name: 'finalizers', type: 'strings' },
};
const metadata: Field = { name: 'metadata', type: 'message', schema: OBJECT_META };

const KINDS: Record<string, Schema> = {
  Namespace: {
    1: metadata,
    2: { name: 'spec', type: 'message', schema: { 1: { name: 'finalizers', type: 'strings' } } },
  },
  ConfigMap: {
    1: metadata,
    2: { name: 'data', type: 'map', value: 'string' },
    3: { name: 'binaryData', type: 'map', value: 'bytes' },
    4: { name: 'immutable', type: 'bool' },
  },
  Secret: {
    1: metadata,
    2: { name: 'data', type: 'map', value: 'bytes' },
    3: { name: 'type', type: 'string' },
    4: { name: 'stringData', type: 'map', value: 'string' },
    5: { name: 'immutable', type: 'bool' },
  },
  ServiceAccount: { 1: metadata },
};

const UNKNOWN: Schema = {
  1: {
    name: 'typeMeta',
    type: 'message',
    schema: { 1: { name: 'apiVersion', type: 'string' }, 2: { name: 'kind', type: 'string' } },
  },
  2: { name: 'raw', type: 'bytes' },
};

class Reader {
  offset = 0;
  constructor(readonly buffer: Buffer) {}

  get done(): boolean {
    return this.offset >= this.buffer.length;
  }

  varint(): number {
    let result = 0;
    let multiplier = 1;
    for (;;) {
      const byte = this.buffer[this.offset++];
      if (byte === undefined) throw new Error('truncated varint');
      result += (byte & 0x7f) * multiplier;
      if (byte < 0x80) return result;
      multiplier *= 128;
    }
  }

  bytes(): Buffer {
    const length = this.varint();
    const slice = this.buffer.subarray(this.offset, this.offset + length);
    this.offset += length;
    return slice;
  }

  skip(wireType: number): void {
    if (wireType === 0) this.varint();
    else if (wireType === 1) this.offset += 8;
    else if (wireType === 2) this.bytes();
    else if (wireType === 5) this.offset += 4;
    else throw new Error(`unsupported wire type ${wireType}`);
  }
}

type Decoded = Record<string, unknown>;

function decodeMapEntry(bytes: Buffer, value: 'string' | 'bytes'): [string, string] {
  const reader = new Reader(bytes);
  let key = '';
  let entry = '';
  while (!reader.done) {
    const tag = reader.varint();
    if (tag >>> 3 === 1) key = reader.bytes().toString('utf8');
    else if (tag >>> 3 === 2) entry = reader.bytes().toString(value === 'bytes' ? 'base64' : 'utf8');
    else reader.skip(tag & 7);
  }
  return [key, entry];
}

function decode(buffer: Buffer, schema: Schema): Decoded {
  const reader = new Reader(buffer);
  const out: Decoded = {};
  while (!reader.done) {
    const tag = reader.varint();
    const field = schema[tag >>> 3];
    if (!field) {
      reader.skip(tag & 7);
      continue;
    }
    switch (field.type) {
      case 'string':
        out[field.name] = reader.bytes().toString('utf8');
        break;
      case 'bytes':
        out[field.name] = Buffer.from(reader.bytes());
        break;
      case 'int':
        out[field.name] = reader.varint();
        break;
      case 'bool':
        out[field.name] = reader.varint() !== 0;
        break;
      case 'strings':
        out[field.name] = [...((out[field.name] as string[]) ?? []), reader.bytes().toString('utf8')];
        break;
      case 'map': {
        const [key, value] = decodeMapEntry(reader.bytes(), field.value);
        out[field.name] = { ...((out[field.name] as Decoded) ?? {}), [key]: value };
        break;
      }
      case 'message':
        out[field.name] = decode(reader.bytes(), field.schema);
        break;
    }
  }
  return out;
}

const MAGIC = Buffer.from('k8s\0', 'latin1');

/** The object a protobuf request body carries, as JSON would have carried it. */
export function decodeKubeProtobuf(body: Buffer, contentType: string): Decoded {
  const refuse = (why: string) =>
    unsupportedMediaType(
      `${contentType} (${why}; the testkit upstream decodes protobuf only for ${Object.keys(KINDS).join(', ')})`,
    );
  if (!body.subarray(0, 4).equals(MAGIC)) throw refuse('no k8s protobuf envelope');
  let envelope: Decoded;
  try {
    envelope = decode(body.subarray(4), UNKNOWN);
  } catch (error) {
    throw refuse((error as Error).message);
  }
  const typeMeta = (envelope.typeMeta ?? {}) as { apiVersion?: string; kind?: string };
  const schema = KINDS[typeMeta.kind ?? ''];
  if (!schema) throw refuse(`kind ${typeMeta.kind ?? '(none)'}`);
  return { apiVersion: typeMeta.apiVersion, kind: typeMeta.kind, ...decode(envelope.raw as Buffer, schema) };
}

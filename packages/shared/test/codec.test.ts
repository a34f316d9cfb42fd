/**
 * Codec round trip for every message type of the proto tree: random instances are generated
 * from the .proto reflection (not from the generated code under test), encoded with the
 * generated static code inside an Envelope batch, decoded, and compared.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import protobuf from 'protobufjs';
import { join } from 'node:path';
import { readdirSync } from 'node:fs';
import { kmm, BatchEncoder, decodeBatch } from '../src/index.js';

const protoRoot = join(__dirname, '..', 'proto');
const root = new protobuf.Root();
root.resolvePath = (_origin, target) => join(protoRoot, target.replace(/^.*?kmm\//, 'kmm/'));
root.loadSync(readdirSync(join(protoRoot, 'kmm', 'v1')).map((f) => `kmm/v1/${f}`), { keepCase: false });
root.resolveAll();
const envelopeType = root.lookupType('kmm.v1.Envelope');

function scalar(type: string): fc.Arbitrary<unknown> {
  switch (type) {
    case 'string':
      return fc.string({ maxLength: 24 });
    case 'bool':
      return fc.boolean();
    case 'double':
      return fc.double({ noNaN: true });
    case 'float':
      return fc.float({ noNaN: true }).map((x) => Math.fround(x));
    case 'int32':
    case 'sint32':
    case 'sfixed32':
      return fc.integer();
    case 'uint32':
    case 'fixed32':
      return fc.nat({ max: 0xffffffff });
    case 'int64':
    case 'sint64':
    case 'sfixed64':
      return fc.maxSafeInteger();
    case 'uint64':
    case 'fixed64':
      return fc.maxSafeNat();
    case 'bytes':
      return fc.uint8Array({ maxLength: 16 });
    default:
      throw new Error(`no arbitrary for ${type}`);
  }
}

function messageArb(type: protobuf.Type, depth: number): fc.Arbitrary<Record<string, unknown>> {
  const parts: Record<string, fc.Arbitrary<unknown>> = {};
  for (const field of type.fieldsArray) {
    if (field.partOf) continue; // oneof members handled by the caller
    const one = fieldArb(field, depth);
    parts[field.name] = field.repeated ? fc.array(one, { maxLength: 3 }) : one;
  }
  return fc.record(parts, { requiredKeys: [] }) as fc.Arbitrary<Record<string, unknown>>;
}

function fieldArb(field: protobuf.Field, depth: number): fc.Arbitrary<unknown> {
  const rt = field.resolvedType;
  if (rt instanceof protobuf.Enum) return fc.constantFrom(...Object.values(rt.values));
  if (rt instanceof protobuf.Type) return depth > 2 ? fc.constant({}) : messageArb(rt, depth + 1);
  return scalar(field.type);
}

const bodies = envelopeType.oneofs.body.fieldsArray;

describe('protobuf codec', () => {
  it('covers every message type defined in the proto tree', () => {
    const messageNames = root.lookup('kmm.v1') as protobuf.Namespace;
    const defined = messageNames.nestedArray.filter((n) => n instanceof protobuf.Type).map((t) => t.name);
    const generated = Object.keys(kmm.v1).filter((k) => typeof (kmm.v1 as any)[k]?.encode === 'function');
    for (const name of defined) expect(generated).toContain(name);
  });

  for (const body of bodies) {
    it(`round-trips ${body.name} inside an Envelope batch`, () => {
      const bodyType = body.resolvedType as protobuf.Type;
      fc.assert(
        fc.property(fc.array(fc.tuple(messageArb(envelopeType.lookupType('kmm.v1.Header'), 1), messageArb(bodyType, 1)), { minLength: 1, maxLength: 4 }), (items) => {
          const enc = new BatchEncoder();
          const expected = items.map(([header, msg]) => {
            const obj = { header, [body.name]: msg };
            const canonical = envelopeType.toObject(envelopeType.fromObject(obj), { longs: Number, enums: Number, defaults: false, oneofs: false });
            enc.add(kmm.v1.Envelope.fromObject(obj));
            return canonical;
          });
          const buf = enc.finish();
          const got: unknown[] = [];
          decodeBatch(buf, (env) => got.push(envelopeType.toObject(envelopeType.fromObject(kmm.v1.Envelope.toObject(env, { longs: Number, enums: Number })), { longs: Number, enums: Number, defaults: false, oneofs: false })));
          expect(got).toEqual(expected);
          expect(got.length).toBe(items.length);
        }),
        { numRuns: 60 },
      );
    });
  }

  it('produces buffers the sender owns (not views into a shared pool)', () => {
    const enc = new BatchEncoder();
    enc.add({ bookDelta: { market: 'X', price: 4700, deltaCenti: -184 } });
    const buf = enc.finish();
    expect(buf).toBeInstanceOf(ArrayBuffer);
    expect(buf.byteLength).toBeLessThan(64); // exactly the batch, not an 8 KiB slab
    let n = 0;
    decodeBatch(buf, (env) => {
      n++;
      expect(env.bookDelta?.deltaCenti).toBe(-184);
    });
    expect(n).toBe(1);
  });
});

describe('BatchEncoder reuse', () => {
  it('each finish() holds only the messages added since the previous one', () => {
    const enc = new BatchEncoder();
    for (let round = 1; round <= 3; round++) {
      for (let i = 0; i < round; i++) enc.add({ timer: { name: `r${round}-${i}` } });
      const names: string[] = [];
      decodeBatch(enc.finish(), (env) => names.push(env.timer!.name));
      expect(names).toEqual(Array.from({ length: round }, (_, i) => `r${round}-${i}`));
    }
  });
});

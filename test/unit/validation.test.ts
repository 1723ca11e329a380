import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { FieldErrors } from '../../src/domain/errors.ts';
import { validatorCompiler } from '../../src/http/validation.ts';

type Outcome = { ok: true; value: unknown } | { ok: false; fieldErrors: FieldErrors; error: Error & { validation?: unknown } };

/** Compiles `schema` for `httpPart` the way Fastify does and runs it on `data`. */
function check(schema: object, httpPart: string, data: unknown): Outcome {
  const validate = validatorCompiler({ schema, httpPart, method: 'POST', url: '/test' });
  const result = validate(data) as { value?: unknown; error?: Error & { fieldErrors?: FieldErrors; validation?: unknown } };
  if (result.error) return { ok: false, fieldErrors: result.error.fieldErrors ?? {}, error: result.error };
  return { ok: true, value: result.value };
}

/** The field errors as a plain object (the validator may build them without a prototype). */
function fieldErrorsOf(outcome: Outcome): FieldErrors {
  assert.ok(!outcome.ok, `expected a validation error, got value ${JSON.stringify(outcome.ok && outcome.value)}`);
  return { ...outcome.fieldErrors };
}

function valueOf(outcome: Outcome): unknown {
  assert.ok(outcome.ok, `expected success, got ${JSON.stringify(!outcome.ok && outcome.fieldErrors)}`);
  return outcome.value;
}

const UNSTORABLE = 'contains a NUL character or an unpaired surrogate';

const bodySchema = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    count: { type: 'integer' },
    active: { type: 'boolean' },
    tags: { type: 'array', items: { type: 'string' } },
    priority: { type: 'string', enum: ['normal', 'high', 'low'], default: 'normal' },
    meta: { type: 'object' },
    payload: {
      type: 'object',
      properties: { text: { type: 'string' } },
      additionalProperties: false,
    },
  },
  required: ['name'],
  additionalProperties: false,
} as const;

const querySchema = {
  type: 'object',
  properties: { limit: { type: 'integer' }, unread: { type: 'boolean' }, q: { type: 'string' } },
  additionalProperties: false,
} as const;

const body = (data: unknown) => check(bodySchema, 'body', data);
const query = (data: unknown) => check(querySchema, 'querystring', data);

describe('validatorCompiler: bodies', () => {
  it('accepts a valid body and returns it as the value', () => {
    assert.deepEqual(valueOf(body({ name: 'alice', count: 3, priority: 'high' })), { name: 'alice', count: 3, priority: 'high' });
  });

  it('fills in schema defaults', () => {
    assert.deepEqual(valueOf(body({ name: 'alice' })), { name: 'alice', priority: 'normal' });
  });

  it('does not coerce the string "10" to an integer', () => {
    assert.deepEqual(fieldErrorsOf(body({ name: 'alice', count: '10' })), { count: ['must be integer'] });
  });

  it('does not coerce a number to a string', () => {
    assert.deepEqual(fieldErrorsOf(body({ name: 42 })), { name: ['must be string'] });
  });

  it('does not coerce the string "true" to a boolean', () => {
    assert.deepEqual(fieldErrorsOf(body({ name: 'alice', active: 'true' })), { active: ['must be boolean'] });
  });

  it('reports an unknown top-level field as "is not a known field"', () => {
    assert.deepEqual(fieldErrorsOf(body({ name: 'alice', nmae: 'typo' })), { nmae: ['is not a known field'] });
  });

  it('reports an unknown nested field by its dotted path', () => {
    assert.deepEqual(fieldErrorsOf(body({ name: 'alice', payload: { text: 'hi', txt: 'hi' } })), {
      'payload.txt': ['is not a known field'],
    });
  });

  it('reports a missing required field as "is required"', () => {
    assert.deepEqual(fieldErrorsOf(body({})), { name: ['is required'] });
  });

  it('reports an enum violation with the allowed values', () => {
    assert.deepEqual(fieldErrorsOf(body({ name: 'a', priority: 'urgent' })), { priority: ['must be one of: normal, high, low'] });
  });

  it('reports a body that is not an object as "(body)"', () => {
    assert.deepEqual(fieldErrorsOf(body('just a string')), { '(body)': ['must be object'] });
  });

  it('lists every bad field, not just the first', () => {
    const errors = fieldErrorsOf(body({ name: 1, count: 1.5, active: 'yes', tags: [1, 'ok', 2], extra: true, payload: { text: 5 } }));
    assert.deepEqual(Object.keys(errors).sort(), ['active', 'count', 'extra', 'name', 'payload.text', 'tags.0', 'tags.2']);
  });

  it('marks the error as a validation error carrying the field errors', () => {
    const outcome = body({});
    assert.ok(!outcome.ok);
    assert.equal(outcome.error.validation, true);
    assert.ok(outcome.error instanceof Error);
  });

  it('reports an unknown field named "toString" like any other field', () => {
    assert.deepEqual(fieldErrorsOf(body({ name: 'a', toString: 1 })), { toString: ['is not a known field'] });
  });

  it('reports an unknown field named "constructor" like any other field', () => {
    assert.deepEqual(fieldErrorsOf(body({ name: 'a', constructor: 1 })), { constructor: ['is not a known field'] });
  });

  it('reports an unknown field named "__proto__" (as JSON.parse produces it) like any other field', () => {
    const errors = fieldErrorsOf(body(JSON.parse('{"name": "a", "__proto__": {"x": 1}}')));
    assert.deepEqual(Object.entries(errors), [['__proto__', ['is not a known field']]]);
  });

  it('reports unstorable text in a field named "hasOwnProperty" like any other field', () => {
    const outcome = check({ type: 'object' }, 'body', { hasOwnProperty: 'a\u0000' });
    assert.deepEqual(fieldErrorsOf(outcome), { hasOwnProperty: [UNSTORABLE] });
  });

  it('unescapes "/" and "~" in JSON-pointer paths', () => {
    const outcome = check({ type: 'object', properties: { 'a/b~c': { type: 'string' } } }, 'body', { 'a/b~c': 1 });
    assert.deepEqual(fieldErrorsOf(outcome), { 'a/b~c': ['must be string'] });
  });
});

describe('validatorCompiler: query strings', () => {
  it('coerces "10" to the integer 10', () => {
    assert.deepEqual(valueOf(query({ limit: '10' })), { limit: 10 });
  });

  it('coerces "true" to the boolean true', () => {
    assert.deepEqual(valueOf(query({ unread: 'true' })), { unread: true });
  });

  it('drops unknown parameters instead of rejecting them', () => {
    assert.deepEqual(valueOf(query({ limit: '5', page: '2' })), { limit: 5 });
  });

  it('rejects a value that cannot be coerced, by parameter name', () => {
    assert.deepEqual(fieldErrorsOf(query({ limit: 'ten' })), { limit: ['must be integer'] });
  });

  it('rejects a parameter holding a NUL character', () => {
    assert.deepEqual(fieldErrorsOf(query({ q: 'a\u0000b' })), { q: [UNSTORABLE] });
  });
});

describe('validatorCompiler: text PostgreSQL cannot store', () => {
  it('reports a top-level string with U+0000 by its field name', () => {
    assert.deepEqual(fieldErrorsOf(body({ name: 'al\u0000ice' })), { name: [UNSTORABLE] });
  });

  it('reports a lone high surrogate', () => {
    assert.deepEqual(fieldErrorsOf(body({ name: 'a\uD800b' })), { name: [UNSTORABLE] });
  });

  it('reports a lone low surrogate', () => {
    assert.deepEqual(fieldErrorsOf(body({ name: '\uDC00' })), { name: [UNSTORABLE] });
  });

  it('accepts a properly paired surrogate (an emoji)', () => {
    assert.deepEqual(valueOf(body({ name: 'hi 😀' })), { name: 'hi 😀', priority: 'normal' });
  });

  it('reports a bad string nested in objects by its dotted path', () => {
    assert.deepEqual(fieldErrorsOf(body({ name: 'a', meta: { deep: { x: 'bad\u0000' } } })), { 'meta.deep.x': [UNSTORABLE] });
  });

  it('reports a bad string in an array by its index', () => {
    assert.deepEqual(fieldErrorsOf(body({ name: 'a', tags: ['ok', 'b\uD800d'] })), { 'tags.1': [UNSTORABLE] });
  });

  it('reports an object key holding U+0000 as "<path>.(key)"', () => {
    assert.deepEqual(fieldErrorsOf(body({ name: 'a', meta: { 'k\u0000': 1 } })), { 'meta.k\u0000.(key)': [UNSTORABLE] });
  });

  it('reports an object key holding a lone surrogate as "<path>.(key)"', () => {
    assert.deepEqual(fieldErrorsOf(body({ name: 'a', meta: { '\uDC00': { y: 1 } } })), { 'meta.\uDC00.(key)': [UNSTORABLE] });
  });

  it('reports every bad string at once', () => {
    const errors = fieldErrorsOf(body({ name: 'a\u0000', tags: ['\uD800'], meta: { x: '\u0000' } }));
    assert.deepEqual(Object.keys(errors).sort(), ['meta.x', 'name', 'tags.0']);
  });

  it('reports both a type error and unstorable text on different fields', () => {
    assert.deepEqual(fieldErrorsOf(body({ name: 'a\u0000', count: 'x' })), { count: ['must be integer'], name: [UNSTORABLE] });
  });

  it('accepts any well-formed string without U+0000 (property)', () => {
    const storable = fc.string({ unit: 'grapheme' }).filter((text: string) => !text.includes('\u0000'));
    fc.assert(
      fc.property(storable, (text: string) => {
        assert.deepEqual(valueOf(body({ name: text })), { name: text, priority: 'normal' });
      }),
    );
  });

  it('reports any string holding U+0000 or a lone surrogate, wherever it sits in the string (property)', () => {
    const bad = fc.constantFrom('\u0000', '\uD800', '\uDBFF', '\uDC00', '\uDFFF');
    const safe = fc.string({ unit: fc.constantFrom('a', 'é', ' ', '😀') });
    fc.assert(
      fc.property(safe, bad, safe, (before: string, middle: string, after: string) => {
        assert.deepEqual(fieldErrorsOf(body({ name: before + middle + after })), { name: [UNSTORABLE] });
      }),
    );
  });
});

describe('validatorCompiler: deeply nested bodies', () => {
  const DEPTH = 100_000;

  /** { a: { a: { ... { leaf } } } } nested DEPTH levels, built without recursion. */
  function nested(leaf: Record<string, unknown>): Record<string, unknown> {
    let node: Record<string, unknown> = leaf;
    for (let i = 0; i < DEPTH; i++) node = { a: node };
    return node;
  }

  it('reports an unknown field at the top of a 100,000-level body without throwing', () => {
    assert.deepEqual(fieldErrorsOf(body({ name: 'a', deep: nested({}) })), { deep: ['is not a known field'] });
  });

  it('accepts a clean 100,000-level body under a free-form object without throwing', () => {
    const outcome = body({ name: 'a', meta: nested({ s: 'fine' }) });
    assert.ok(outcome.ok);
  });

  it('finds U+0000 at the bottom of a 100,000-level body without throwing', () => {
    const errors = fieldErrorsOf(body({ name: 'a', meta: nested({ s: 'bad\u0000' }) }));
    assert.deepEqual(Object.keys(errors), [`meta.${'a.'.repeat(DEPTH)}s`]);
  });

  it('handles a 100,000-level array nesting without throwing', () => {
    let node: unknown = ['x\u0000'];
    for (let i = 0; i < DEPTH; i++) node = [node];
    const errors = fieldErrorsOf(body({ name: 'a', meta: { list: node } }));
    assert.deepEqual(Object.keys(errors), [`meta.list.${'0.'.repeat(DEPTH)}0`]);
  });
});

describe('validatorCompiler: ids in their canonical form', () => {
  const ID = '3F2B8C1E-6A4D-4E8B-9C7A-2D5E1F0A9B3C';
  const id = ID.toLowerCase();
  const uuid = { type: 'string', format: 'uuid' };
  const schema = {
    type: 'object',
    properties: {
      message_id: uuid,
      name: { type: 'string' },
      to: { type: ['string', 'null'], format: 'uuid' },
      members: { type: 'array', items: uuid },
      payload: { type: 'object', properties: { file_id: uuid, text: { type: 'string' } } },
    },
    additionalProperties: false,
  };

  it('lower-cases every uuid field, in nested objects and arrays, and leaves other strings as they are', () => {
    const value = valueOf(check(schema, 'body', { message_id: ID, name: ID, to: ID, members: [ID, id], payload: { file_id: ID, text: ID } }));
    assert.deepEqual(value, { message_id: id, name: ID, to: id, members: [id, id], payload: { file_id: id, text: ID } });
  });

  it('keeps a null id null and an absent one absent', () => {
    assert.deepEqual(valueOf(check(schema, 'body', { to: null })), { to: null });
  });

  it('drops the urn:uuid: prefix the uuid format allows', () => {
    assert.deepEqual(valueOf(check(schema, 'body', { message_id: `URN:UUID:${ID}` })), { message_id: id });
  });

  it('canonicalises path parameters and query strings too', () => {
    assert.deepEqual(valueOf(check({ type: 'object', properties: { id: uuid } }, 'params', { id: ID })), { id });
    assert.deepEqual(valueOf(check({ type: 'object', properties: { after: uuid } }, 'querystring', { after: ID })), { after: id });
  });

  it('finds ids in allOf branches and if/then subschemas', () => {
    const branched = { type: 'object', allOf: [{ if: { properties: { kind: { const: 'a' } } }, then: { properties: { ref: uuid } } }] };
    assert.deepEqual(valueOf(check(branched, 'body', { kind: 'a', ref: ID })), { kind: 'a', ref: id });
  });
});

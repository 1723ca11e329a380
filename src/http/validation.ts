import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';
import type { FieldErrors } from '../domain/errors.ts';
import { canonicalizerOf } from './canonical-ids.ts';

const shared = { allErrors: true, useDefaults: true, strict: false } as const;

/**
 * Bodies are JSON: a number is never taken for a string, and an unknown field is an error (body schemas say
 * additionalProperties: false), so a typo never passes silently. Query strings and paths are text: they
 * coerce, and unknown parameters are dropped.
 */
const bodyAjv = addFormats.default(new Ajv({ ...shared, coerceTypes: false }));
const textAjv = addFormats.default(new Ajv({ ...shared, coerceTypes: true, removeAdditional: true }));

/**
 * Validates with Ajv and reports every bad field by path, plus text PostgreSQL cannot store; a valid request's ids
 * are put in their canonical form (canonical-ids.ts), so handlers, answers, storage and logs see one form.
 */
export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) => {
  // Binary bodies arrive as streams and are checked while they stream (size, checksum), not here.
  if ((schema as { 'x-streamed'?: boolean })['x-streamed']) return (data: unknown) => ({ value: data });
  const validate: ValidateFunction = (httpPart === 'body' ? bodyAjv : textAjv).compile(schema as object);
  const canonicalize = canonicalizerOf(schema);
  return (data: unknown) => {
    const report = new FieldReport();
    if (!validate(data)) {
      for (const error of validate.errors ?? []) {
        // an if/then failure is already reported by the `then` error it caused
        if (error.keyword !== 'if') report.add(fieldOf(error), messageOf(error));
      }
    }
    for (const field of unstorableText(data)) report.add(field, 'contains a NUL character or an unpaired surrogate');
    if (report.empty) return { value: canonicalize(data) };
    const details = { validation: true, fieldErrors: report.fields, omittedFields: report.omitted };
    return { error: Object.assign(new Error('validation failed'), details) };
  };
};

/** The most fields a problem names: a body of thousands of unknown keys gets a short answer, not one per key. */
const MAX_REPORTED_FIELDS = 20;

/** Bad fields by path, up to MAX_REPORTED_FIELDS of them, and how many more there were. */
class FieldReport {
  /** Field names come from the request, so it has no prototype: "toString" or "__proto__" are plain keys. */
  readonly fields: FieldErrors = Object.create(null);
  #count = 0;
  readonly #omitted = new Set<string>();

  add(field: string, message: string): void {
    if (!Object.hasOwn(this.fields, field)) {
      if (this.#count >= MAX_REPORTED_FIELDS) {
        this.#omitted.add(field);
        return;
      }
      this.fields[field] = [];
      this.#count++;
    }
    const messages = this.fields[field]!;
    if (!messages.includes(message)) messages.push(message);
  }

  get empty(): boolean {
    return this.#count === 0;
  }

  get omitted(): number {
    return this.#omitted.size;
  }
}

function fieldOf(error: ErrorObject): string {
  const path = error.instancePath.split('/').slice(1).map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'));
  if (error.keyword === 'required') path.push((error.params as { missingProperty: string }).missingProperty);
  if (error.keyword === 'additionalProperties') path.push((error.params as { additionalProperty: string }).additionalProperty);
  return path.join('.') || '(body)';
}

function messageOf(error: ErrorObject): string {
  switch (error.keyword) {
    case 'required':
      return 'is required';
    case 'additionalProperties':
      return 'is not a known field';
    case 'format':
      return error.params.format === 'uuid' ? 'must be a UUID' : `must be a valid ${error.params.format}`;
    case 'enum':
      return `must be one of: ${(error.params.allowedValues as unknown[]).join(', ')}`;
    case 'const':
      return `must be ${JSON.stringify(error.params.allowedValue)}`;
    default:
      return error.message ?? 'is not valid';
  }
}

interface PathNode {
  key: string;
  parent: PathNode | undefined;
}

/**
 * Paths of strings (values or keys) holding U+0000 or a lone surrogate: JSON allows them, PostgreSQL text
 * does not. Walks with an explicit stack and shared path nodes, so even a 1 MiB body nested to the bottom
 * costs linear time and cannot overflow the call stack.
 */
function unstorableText(body: unknown): string[] {
  const found: string[] = [];
  const stack: Array<[unknown, PathNode | undefined]> = [[body, undefined]];
  while (stack.length > 0 && found.length < MAX_REPORTED_FIELDS) {
    const [value, path] = stack.pop()!;
    if (typeof value === 'string') {
      if (!storable(value)) found.push(pathText(path));
    } else if (value !== null && typeof value === 'object') {
      for (const [key, child] of Object.entries(value)) {
        if (found.length >= MAX_REPORTED_FIELDS) break;
        const node = { key, parent: path };
        if (!storable(key)) found.push(pathText({ key: '(key)', parent: node }));
        stack.push([child, node]);
      }
    }
  }
  return found;
}

function pathText(node: PathNode | undefined): string {
  const keys: string[] = [];
  for (let at = node; at; at = at.parent) keys.push(at.key);
  return keys.reverse().join('.') || '(body)';
}

const storable = (text: string) => text.isWellFormed() && !text.includes('\u0000');

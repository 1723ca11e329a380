import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';
import type { FieldErrors } from '../domain/errors.ts';

const shared = { allErrors: true, removeAdditional: true, useDefaults: true, strict: false } as const;

/** Bodies are JSON: a number is never taken for a string. Query strings and paths are text, so they coerce. */
const bodyAjv = addFormats.default(new Ajv({ ...shared, coerceTypes: false }));
const textAjv = addFormats.default(new Ajv({ ...shared, coerceTypes: true }));

/** Validates with Ajv and reports every bad field by path, plus text PostgreSQL cannot store. */
export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) => {
  const validate: ValidateFunction = (httpPart === 'body' ? bodyAjv : textAjv).compile(schema as object);
  return (data: unknown) => {
    const fields: FieldErrors = {};
    if (!validate(data)) {
      for (const error of validate.errors ?? []) {
        // an if/then failure is already reported by the `then` error it caused
        if (error.keyword !== 'if') add(fields, fieldOf(error), messageOf(error));
      }
    }
    for (const field of unstorableText(data)) add(fields, field, 'contains a NUL character or an unpaired surrogate');
    if (Object.keys(fields).length === 0) return { value: data };
    return { error: Object.assign(new Error('validation failed'), { validation: true, fieldErrors: fields }) };
  };
};

function add(fields: FieldErrors, field: string, message: string): void {
  (fields[field] ??= []).includes(message) || fields[field].push(message);
}

function fieldOf(error: ErrorObject): string {
  const path = error.instancePath.split('/').slice(1).map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'));
  if (error.keyword === 'required') path.push((error.params as { missingProperty: string }).missingProperty);
  return path.join('.') || '(body)';
}

function messageOf(error: ErrorObject): string {
  switch (error.keyword) {
    case 'required':
      return 'is required';
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

/** Paths of strings holding U+0000 or a lone surrogate: JSON allows them, PostgreSQL text does not. */
function unstorableText(value: unknown, path: string[] = []): string[] {
  if (typeof value === 'string') {
    return value.includes('\u0000') || !value.isWellFormed() ? [path.join('.') || '(body)'] : [];
  }
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, child]) => [
    ...(typeof key === 'string' && (!key.isWellFormed() || key.includes('\u0000')) ? [[...path, '(key)'].join('.')] : []),
    ...unstorableText(child, [...path, key]),
  ]);
}

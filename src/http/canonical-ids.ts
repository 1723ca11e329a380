import { canonicalUuid } from '../domain/ids.ts';

/**
 * Ids in their canonical form at the HTTP edge: every id a request carries (a field, query or path parameter of
 * format uuid in its route's schema) is rewritten by canonicalUuid right after validation, so the caller's "F00…" is
 * the same user, message or file as the stored "f00…", and every answer and log line shows the one form.
 */

type Schema = { [keyword: string]: unknown };
/** Rewrites the ids in a validated value, returning it (a bare id is a new string, objects change in place). */
export type Canonicalize = (value: unknown) => unknown;

const keep: Canonicalize = (value) => value;

/**
 * The canonicalizer for values that passed `schema`, planned once per schema: it visits only the places where the
 * schema can hold an id, so a request without ids costs nothing.
 */
export function canonicalizerOf(schema: unknown): Canonicalize {
  return plan(schema) ?? keep;
}

function plan(schema: unknown): Canonicalize | undefined {
  if (schema === null || typeof schema !== 'object') return undefined;
  const node = schema as Schema;
  const steps: Canonicalize[] = [];
  if (node.format === 'uuid') steps.push((value) => (typeof value === 'string' ? canonicalUuid(value) : value));
  const properties = objectPlan(node);
  if (properties) steps.push(properties);
  const items = itemsPlan(node);
  if (items) steps.push(items);
  // Subschemas that apply to the same value: a branch that does not match it finds no id of its own format there.
  for (const keyword of ['allOf', 'anyOf', 'oneOf']) {
    if (Array.isArray(node[keyword])) for (const branch of node[keyword]) pushPlan(steps, branch);
  }
  for (const keyword of ['then', 'else']) pushPlan(steps, node[keyword]);
  if (steps.length === 0) return undefined;
  return (value) => steps.reduce((current, step) => step(current), value);
}

function pushPlan(steps: Canonicalize[], schema: unknown): void {
  const step = plan(schema);
  if (step) steps.push(step);
}

function objectPlan(node: Schema): Canonicalize | undefined {
  const fields = Object.entries((node.properties ?? {}) as Record<string, unknown>).flatMap(([name, schema]) => {
    const step = plan(schema);
    return step ? [[name, step] as const] : [];
  });
  if (fields.length === 0) return undefined;
  return (value) => {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
    const record = value as Record<string, unknown>;
    for (const [name, step] of fields) if (Object.hasOwn(record, name)) record[name] = step(record[name]);
    return value;
  };
}

/** The API's arrays are lists (`items` one schema); it has no tuples. */
function itemsPlan(node: Schema): Canonicalize | undefined {
  const step = plan(node.items);
  if (!step) return undefined;
  return (value) => (Array.isArray(value) ? value.map(step) : value);
}

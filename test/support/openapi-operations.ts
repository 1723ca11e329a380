/**
 * The operations the hub's own OpenAPI document lists, read at run time from `/openapi.json`, so suites that must
 * cover every operation (the random-input property test, the authorization matrix) cover a new one without anyone
 * remembering to add it.
 */
export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  schema?: JsonSchema;
}

export type JsonSchema = Record<string, any>;

export interface Operation {
  method: string;
  /** The path template, e.g. `/v1/conversations/{id}`. */
  path: string;
  parameters: Parameter[];
  /** Media type → schema, for operations that take a body. */
  bodies: Record<string, JsonSchema>;
  /** The security schemes the operation asks for; empty for public operations. */
  security: string[];
}

export async function operationsOf(baseUrl: string): Promise<Operation[]> {
  const response = await fetch(new URL('/openapi.json', baseUrl));
  if (!response.ok) throw new Error(`GET /openapi.json answered ${response.status}`);
  const document = (await response.json()) as { paths: Record<string, Record<string, any>> };
  const operations: Operation[] = [];
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      const content: Record<string, { schema?: JsonSchema }> = operation.requestBody?.content ?? {};
      operations.push({
        method: method.toUpperCase(),
        path,
        parameters: operation.parameters ?? [],
        bodies: Object.fromEntries(Object.entries(content).map(([type, media]) => [type, media.schema ?? {}])),
        security: (operation.security ?? []).flatMap((requirement: object) => Object.keys(requirement)),
      });
    }
  }
  return operations;
}

/** `/v1/conversations/{id}` with `{ id: 'x y' }` → `/v1/conversations/x%20y`. */
export function fillPath(template: string, values: Record<string, string>): string {
  return template.replace(/\{([^}]+)\}/g, (_, name: string) => encodeURIComponent(values[name] ?? ''));
}

export const describeOperation = (operation: Operation) => `${operation.method} ${operation.path}`;

import type { HttpApp } from './http-app.ts';

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

/**
 * The methods some route answers at a request's path, for the `Allow` header of a 405; none when no route has the
 * path, a 404. OPTIONS alone does not make a path exist: with CORS on, the preflight route answers every path.
 */
export function allowedMethods(app: HttpApp, url: string): string[] {
  const path = url.split('?', 1)[0] ?? url;
  const allowed = METHODS.filter((method) => app.findRoute({ method, url: path }) !== null);
  return allowed.some((method) => method !== 'OPTIONS') ? allowed : [];
}

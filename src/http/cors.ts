import cors from '@fastify/cors';
import type { HttpApp } from './http-app.ts';

/** What a browser app may send beyond the CORS-safelisted headers: the token, JSON bodies, and the hub's own headers. */
export const CORS_ALLOWED_HEADERS = ['Authorization', 'Content-Type', 'Idempotency-Key', 'X-Request-Id', 'X-Chunk-SHA256', 'Range'];

/**
 * What a browser app may read beyond the CORS-safelisted response headers: where a created or redirected resource
 * is, when to retry, rate limits, the request id to quote, and what a download or a replay says about itself.
 */
export const CORS_EXPOSED_HEADERS = [
  'Location',
  'Retry-After',
  'RateLimit',
  'RateLimit-Policy',
  'X-Request-Id',
  'Idempotent-Replay',
  'Content-Disposition',
  'Content-Range',
];

export const CORS_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];

/** How long a browser may keep a preflight's answer: its next calls skip the extra round trip for 10 minutes. */
const PREFLIGHT_MAX_AGE_SECONDS = 600;

/**
 * Lets the browser apps at `origins` call the API (`*`: any origin). None, the default, adds no CORS header at
 * all, and browsers keep pages of other origins out. Tokens travel in the Authorization header, never in cookies,
 * so no origin is ever allowed credentials.
 */
export async function registerCors(app: HttpApp, origins: readonly string[]): Promise<void> {
  if (origins.length === 0) return;
  await app.register(cors, {
    origin: origins.includes('*') ? '*' : [...origins],
    methods: CORS_METHODS,
    allowedHeaders: CORS_ALLOWED_HEADERS,
    exposedHeaders: CORS_EXPOSED_HEADERS,
    maxAge: PREFLIGHT_MAX_AGE_SECONDS,
    credentials: false,
    // An OPTIONS without Origin is no preflight, but a 400 in plain text would be the hub's only error that is not a
    // problem document: it gets the same 204 as a preflight.
    strictPreflight: false,
  });
}

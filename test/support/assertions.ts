import assert from 'node:assert/strict';
import type { ApiResponse } from './api-client.ts';

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Asserts an RFC 9457 problem (application/problem+json) with the given status and, if given, error code. */
export function assertProblem(response: ApiResponse, status: number, errorCode?: string): void {
  assert.equal(response.status, status, JSON.stringify(response.body));
  assert.match(response.headers.get('content-type') ?? '', /application\/problem\+json/);
  assert.equal(typeof response.body.detail, 'string', 'detail is a string');
  assert.ok(response.body.detail.length > 0, 'detail is not empty');
  assert.equal(typeof response.body.error_code, 'string', 'error_code is a string');
  if (errorCode) assert.equal(response.body.error_code, errorCode);
}

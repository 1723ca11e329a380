import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loggableUrl } from '../../src/http/loggable-url.ts';

describe('loggableUrl', () => {
  it('redacts the token of a WebSocket URL and keeps the other parameters as sent', () => {
    assert.equal(loggableUrl('/v1/ws?last_event_id=3&token=eyJ.abc.def'), '/v1/ws?last_event_id=3&token=[REDACTED]');
  });

  it('redacts the signature of a presigned chunk URL', () => {
    assert.equal(loggableUrl('/uploads/f/chunks/0?expires=1&signature=ab12'), '/uploads/f/chunks/0?expires=1&signature=[REDACTED]');
  });

  it('redacts access_token, and names written in another case or percent-encoded', () => {
    assert.equal(loggableUrl('/x?access_token=a&Token=b&%74oken=c'), '/x?access_token=[REDACTED]&Token=[REDACTED]&%74oken=[REDACTED]');
  });

  it('leaves a URL without secrets unchanged, even a badly encoded one', () => {
    for (const url of ['/v1/users?username=a%20b&limit=2', '/v1/x?%zz=1', '/health']) assert.equal(loggableUrl(url), url);
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApiClient, type ApiResponse } from '../support/api-client.ts';
import { assertProblem } from '../support/assertions.ts';
import { HubProcess } from '../support/hub-process.ts';
import { testModes } from '../support/test-modes.ts';

const FLOOD = 60;

/** A response and how long after the flood began it arrived. */
interface Answer {
  response: ApiResponse;
  afterMs: number;
}

for (const mode of testModes) describe(`a flood of wrong passwords at POST /auth/token [${mode}]`, () => {
  let hub: HubProcess;
  let flood: Answer[];
  let valid: Answer;

  before(async () => {
    // A real bcrypt cost (a check takes a fraction of a second) and a small queue, so the flood fills it. The queue
    // is what is tested: the per-address rate limit, which would refuse part of the flood first, is off.
    hub = await HubProcess.start({
      mode,
      env: { BCRYPT_ROUNDS: '12', CHAT4ALL_LOGIN_HASHES: '1', CHAT4ALL_LOGIN_HASH_QUEUE: '2', CHAT4ALL_RATE_LIMIT_LOGIN_ADDRESS: 'off' },
    });
    const client = new ApiClient(hub.url);
    const began = Date.now();
    const timed = async (body: object): Promise<Answer> => {
      const response = await client.request('POST', '/auth/token', { body });
      return { response, afterMs: Date.now() - began };
    };
    // Unknown users: their password is checked against a decoy hash made at BCRYPT_ROUNDS, whatever user1's cost.
    const wrong = Array.from({ length: FLOOD }, (_, index) => timed({ username: `intruder${index}`, password: 'wrong-password' }));
    const right = timed({ username: 'user1', password: 'password123' });
    [flood, valid] = await Promise.all([Promise.all(wrong), right]);
  });
  after(() => hub?.stop());

  const refused = () => flood.filter((answer) => answer.response.status === 503);
  const checked = () => flood.filter((answer) => answer.response.status !== 503);

  it('refuses some of them with 503 LOGIN_BUSY and a Retry-After', () => {
    assert.ok(refused().length > 0, `statuses: ${flood.map((answer) => answer.response.status).join(' ')}`);
    for (const { response } of refused()) {
      assertProblem(response, 503, 'LOGIN_BUSY');
      assert.match(response.headers.get('retry-after') ?? '', /^\d+$/, 'Retry-After in seconds');
    }
  });

  it('answers every login it checks 401 INVALID_CREDENTIALS, and none with another 5xx', () => {
    for (const { response } of checked()) assertProblem(response, 401, 'INVALID_CREDENTIALS');
  });

  it('answers the refused logins before the checked ones are all done', () => {
    assert.ok(refused().length > 0, 'some logins were refused');
    const lastRefused = Math.max(...refused().map((answer) => answer.afterMs));
    const lastChecked = Math.max(...checked().map((answer) => answer.afterMs));
    assert.ok(lastRefused < lastChecked, `last refusal after ${lastRefused} ms, last check after ${lastChecked} ms`);
  });

  it('logs a valid user in during the flood, or refuses them the same way', () => {
    if (valid.response.status === 200) assert.equal(valid.response.body.username, 'user1');
    else assertProblem(valid.response, 503, 'LOGIN_BUSY');
  });
});

/**
 * Issue 11, point 6: a channel address is linked by proof of ownership. A claim has the hub send a code to the
 * address through the channel's connector (the simulated channels print it, as the owner's phone would show it),
 * and only that code coming back links it; until then the address routes nothing.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { ApiClient, waitFor, type Session } from '../support/api-client.ts';
import { assertProblem } from '../support/assertions.ts';
import { postChannelWebhook } from '../support/channel-webhook.ts';
import { HubProcess } from '../support/hub-process.ts';
import { claimIdentity, codeSentTo, linkVerified } from '../support/identities.ts';
import { RoleProcess } from '../support/role-process.ts';
import { testModes } from '../support/test-modes.ts';

const SECRET = 'whatsapp-secret';
const RESEND_SECONDS = 3;

/** A six-digit code that is not `code`. */
const otherThan = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

for (const mode of testModes) describe(`proof of identity ownership [${mode}]`, () => {
  let hub: HubProcess;
  let client: ApiClient;
  let alice: Session;
  let bob: Session;
  let carol: Session;
  let mallory: Session;
  let dave: Session;

  before(async () => {
    hub = await HubProcess.start({
      mode,
      env: { CHAT4ALL_CHANNEL_SECRETS: `whatsapp=${SECRET}`, CHAT4ALL_IDENTITY_CODE_RESEND_SECONDS: String(RESEND_SECONDS) },
    });
    client = new ApiClient(hub.url);
    [alice, bob, carol, mallory, dave] = await Promise.all([
      client.login('user1'), client.login('user2'), client.login('user3'), client.login('user4'), client.login('user5'),
    ]);
    await linkVerified(bob, hub, 'whatsapp', '+5511922220002');
  });
  after(() => hub.stop());

  const claim = (session: Session, channel: string, address: string) => session.post('/v1/users/me/identities', { channel, address });
  const verify = (session: Session, channel: string, code: string) => session.post(`/v1/users/me/identities/${channel}/verify`, { code });
  const listed = async (session: Session) => (await session.get('/v1/users/me/identities')).body.identities as Array<Record<string, unknown>>;
  const inbound = async (from: string, to: string) => {
    const response = await postChannelWebhook(client, 'whatsapp', { messages: [{ id: `wamid.${randomUUID()}`, from, to, text: 'hi' }] }, SECRET);
    assert.equal(response.status, 200, JSON.stringify(response.body));
    return response.body.messages[0];
  };

  it('answers a claim 202 pending and routes nothing by the address until the code sent through the channel verifies it', async () => {
    const started = Date.now();
    const { claimed, code } = await claimIdentity(alice, hub, 'whatsapp', '+5511922220001');
    assert.equal(claimed.body.status, 'pending');
    assert.equal(claimed.body.user_id, alice.userId);
    assert.equal(claimed.body.attempts_left, 5);
    const expiresIn = Date.parse(claimed.body.expires_at) - started;
    assert.ok(expiresIn > 590_000 && expiresIn < 610_000, `expires in 10 minutes, not ${expiresIn} ms`);
    assert.deepEqual((await listed(alice)).map((i) => [i.channel, i.address, i.status]), [['whatsapp', '+5511922220001', 'pending']]);

    // Pending, the address is an unknown sender and an unknown recipient.
    const fromPending = await inbound('+5511922220001', '+5511922220002');
    assert.equal(fromPending.status, 'rejected', JSON.stringify(fromPending));
    assert.match(fromPending.reason, /no user has linked/);
    assert.equal((await inbound('+5511922220002', '+5511922220001')).status, 'rejected');

    const verified = await verify(alice, 'whatsapp', code);
    assert.equal(verified.status, 200, JSON.stringify(verified.body));
    assert.deepEqual([verified.body.channel, verified.body.address, verified.body.user_id, verified.body.status], ['whatsapp', '+5511922220001', alice.userId, 'verified']);
    assert.deepEqual((await listed(alice)).map((i) => [i.channel, i.address, i.status]), [['whatsapp', '+5511922220001', 'verified']]);

    const fromVerified = await inbound('+5511922220001', '+5511922220002');
    assert.equal(fromVerified.status, 'accepted', JSON.stringify(fromVerified));
    assert.equal((await alice.get(`/v1/messages/${fromVerified.message_id}`)).body.from, alice.userId);
  });

  it('refuses a wrong code with the attempts left; after the last one the claim is over, even for the right code', async () => {
    const { code } = await claimIdentity(carol, hub, 'whatsapp', '+5511922220003');
    for (const left of [4, 3, 2, 1, 0]) {
      const wrong = await verify(carol, 'whatsapp', otherThan(code));
      assertProblem(wrong, 400, 'IDENTITY_CODE_INVALID');
      assert.equal(wrong.body.attempts_left, left);
      assert.ok(wrong.body.field_errors.code);
    }
    const late = await verify(carol, 'whatsapp', code);
    assertProblem(late, 404, 'IDENTITY_CLAIM_NOT_FOUND');
    assert.match(late.body.detail, /over/);
    assert.deepEqual(await listed(carol), []);
    assert.equal((await inbound('+5511922220003', '+5511922220002')).status, 'rejected');
  });

  it('answers 404 to a code for a channel without a claim, and 400 to a code that is not six digits', async () => {
    assertProblem(await verify(carol, 'instagram', '123456'), 404, 'IDENTITY_CLAIM_NOT_FOUND');
    assertProblem(await verify(carol, 'sms', '123456'), 404, 'IDENTITY_CLAIM_NOT_FOUND');
    for (const code of ['12345', '1234567', 'abcdef', '']) {
      const response = await verify(carol, 'whatsapp', code);
      assertProblem(response, 400, 'VALIDATION_FAILED');
      assert.ok(response.body.field_errors.code, JSON.stringify(response.body));
    }
  });

  it('keeps a verified address its owner’s: another user’s claim is a 409 and sends no code', async () => {
    const before = hub.output.length;
    const response = await claim(mallory, 'whatsapp', '+5511922220001');
    assertProblem(response, 409, 'IDENTITY_TAKEN');
    await sleep(300);
    assert.doesNotMatch(hub.output.slice(before), /Código de verificação \d+ enviado para \+5511922220001 /);
  });

  it('lets pending claims of one address coexist: a claim made first does not pre-empt the owner, who verifies and wins', async () => {
    const address = '+5511922220005';
    // Mallory claims dave's number first; her code goes to dave's phone, where she cannot read it.
    const first = await claimIdentity(mallory, hub, 'whatsapp', address);
    const owner = await claimIdentity(dave, hub, 'whatsapp', address);
    assert.notEqual(owner.code, first.code, 'each claim gets its own code');
    assert.equal((await verify(dave, 'whatsapp', owner.code)).status, 200);
    // Even with the code of her own claim she cannot take it now.
    assertProblem(await verify(mallory, 'whatsapp', first.code), 409, 'IDENTITY_TAKEN');
    assert.deepEqual(await listed(mallory), []);
    const message = await inbound(address, '+5511922220002');
    assert.equal(message.status, 'accepted', JSON.stringify(message));
    assert.equal((await dave.get(`/v1/messages/${message.message_id}`)).body.from, dave.userId);
  });

  it('holds back a new code for the resend interval (429, Retry-After), withdrawn claim or not; then a new claim replaces the pending one', async () => {
    const first = await claimIdentity(bob, hub, 'instagram', '@bob.first');
    const throttled = await claim(bob, 'instagram', '@bob.second');
    assertProblem(throttled, 429, 'IDENTITY_CODE_THROTTLED');
    const wait = Number(throttled.headers.get('retry-after'));
    assert.ok(wait >= 1 && wait <= RESEND_SECONDS, `Retry-After ${wait}`);
    assert.equal(throttled.body.retry_after_seconds, wait);
    assert.equal((await bob.client.request('DELETE', '/v1/users/me/identities/instagram', { token: bob.token })).status, 204, 'withdraws the claim');
    assertProblem(await claim(bob, 'instagram', '@bob.second'), 429, 'IDENTITY_CODE_THROTTLED');
    assertProblem(await verify(bob, 'instagram', first.code), 404, 'IDENTITY_CLAIM_NOT_FOUND');

    await sleep(RESEND_SECONDS * 1000);
    const second = await claimIdentity(bob, hub, 'instagram', '@bob.second');
    assertProblem(await verify(bob, 'instagram', first.code), 400, 'IDENTITY_CODE_INVALID');
    const verified = await verify(bob, 'instagram', second.code);
    assert.equal(verified.status, 200, JSON.stringify(verified.body));
    assert.equal(verified.body.address, '@bob.second');
  });
});

for (const mode of testModes) describe(`expired identity codes [${mode}]`, () => {
  let hub: HubProcess;
  let alice: Session;
  let bob: Session;

  before(async () => {
    hub = await HubProcess.start({ mode, env: { CHAT4ALL_IDENTITY_CODE_TTL_SECONDS: '3' } });
    const client = new ApiClient(hub.url);
    [alice, bob] = await Promise.all([client.login('user1'), client.login('user2')]);
    // The first code of a fresh hub can wait seconds for its connector to join its consumer group (Kafka), and a
    // connector sends no code that expired meanwhile: one first code, sent or not, gets that wait out of the way.
    assert.equal((await bob.post('/v1/users/me/identities', { channel: 'whatsapp', address: '+5511933330002' })).status, 202);
    await waitFor(async () => /Código de verificação \d+ enviado para \+5511933330002 |verification code not sent/.test(hub.output), {
      what: 'the first code sent or given up',
    });
  });
  after(() => hub.stop());

  it('refuses the right code once it expired (410), without costing an attempt, and lists the claim no more', async () => {
    const { claimed, code } = await claimIdentity(alice, hub, 'whatsapp', '+5511933330001');
    await sleep(Math.max(0, Date.parse(claimed.body.expires_at) - Date.now()) + 100);
    for (let i = 0; i < 2; i++) {
      const late = await alice.post('/v1/users/me/identities/whatsapp/verify', { code });
      assertProblem(late, 410, 'IDENTITY_CODE_EXPIRED');
      assert.equal(late.body.expired_at, claimed.body.expires_at);
    }
    assert.deepEqual((await alice.get('/v1/users/me/identities')).body.identities, []);
  });
});

const distributed = testModes.includes('distributed');
describe('verification codes sent by a connector process of their own [distributed]', { skip: !distributed && 'distributed mode is off' }, () => {
  let dataDir: string;
  let api: HubProcess | undefined;
  let roles: RoleProcess[] = [];

  before(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'chat4all-codes-'));
    api = await HubProcess.start({ mode: 'distributed', dataDir, args: ['api'] });
    roles = await Promise.all([
      RoleProcess.start({ mode: 'distributed', dataDir, args: ['relay'] }),
      RoleProcess.start({ mode: 'distributed', dataDir, args: ['connector', 'whatsapp'] }),
    ]);
  });
  after(async () => {
    await Promise.all([...roles.map((role) => role.kill('SIGTERM')), api?.kill('SIGTERM')]);
    if (dataDir) await HubProcess.removeState(dataDir, 'distributed');
  });

  it('prints the code in the WhatsApp connector’s output (not the API’s), and that code verifies the claim', async () => {
    const alice = await new ApiClient(api!.url).login('user1');
    const connector = roles[1]!;
    const { code } = await claimIdentity(alice, connector, 'whatsapp', '+5511944440001');
    assert.match(code, /^\d{6}$/);
    assert.deepEqual(api!.linesWith('Código de verificação'), []);
    const verified = await alice.post('/v1/users/me/identities/whatsapp/verify', { code });
    assert.equal(verified.status, 200, JSON.stringify(verified.body));
    assert.equal(verified.body.status, 'verified');
  });
});

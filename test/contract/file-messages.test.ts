import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ApiClient, waitFor } from '../support/api-client.ts';
import { assertProblem } from '../support/assertions.ts';
import { TestFile, Uploader } from '../support/file-client.ts';
import { HubProcess } from '../support/hub-process.ts';
import { StorageProbe } from '../support/storage-probe.ts';
import { storageOf, testModes } from '../support/test-modes.ts';

for (const mode of testModes) describe(`file messages [${mode}, ${storageOf(mode)} storage]`, () => {
  let hub: HubProcess;
  let alice: Uploader;
  let bob: Uploader;
  let carol: Uploader;
  let privateId: string;
  let seeds = 0;
  const testFile = () => new TestFile(`${mode}-message-file-${++seeds}`, 1000 + seeds);

  before(async () => {
    hub = await HubProcess.start({ mode });
    const client = new ApiClient(hub.url);
    const [a, b, c] = await Promise.all([client.login('user1'), client.login('user2'), client.login('user3')]);
    [alice, bob, carol] = [new Uploader(a), new Uploader(b), new Uploader(c)];
    privateId = await a.createConversation('private', [a.userId, b.userId]);
  });
  after(() => hub.stop());

  const fileMessage = (sender: Uploader, conversationId: string, fileId: string) =>
    sender.session.textMessage(conversationId, { payload: { type: 'file', file_id: fileId }, channels: ['all'] });

  it('accepts a completed file, lists it with file_id, filename, file_size and content_type, and delivers it', async () => {
    const file = testFile();
    const fileId = await alice.uploaded(file, { filename: 'foto da praia.jpg', content_type: 'image/jpeg' });
    const body = fileMessage(alice, privateId, fileId);
    const sent = await alice.session.post('/v1/messages', body);
    assert.equal(sent.status, 200, JSON.stringify(sent.body));
    const listed = await bob.session.get(`/v1/conversations/${privateId}/messages?limit=100`);
    const message = listed.body.messages.find((m: { message_id: string }) => m.message_id === body.message_id);
    assert.deepEqual(message.payload, {
      type: 'file',
      file_id: fileId,
      filename: 'foto da praia.jpg',
      file_size: file.size,
      content_type: 'image/jpeg',
    });
    const delivered = await waitFor(async () => {
      const response = await alice.session.get(`/v1/messages/${body.message_id}`);
      return response.body.status === 'delivered' && response.body;
    }, { what: 'the file message to be delivered' });
    assert.equal(delivered.deliveries.length, 2, 'WhatsApp and Instagram, to bob');
  });

  it('answers 409 FILE_NOT_COMPLETED for a file still uploading', async () => {
    const { fileId } = await alice.initiate(testFile());
    assertProblem(await alice.session.post('/v1/messages', fileMessage(alice, privateId, fileId)), 409, 'FILE_NOT_COMPLETED');
  });

  it('answers 404 FILE_NOT_FOUND for an unknown file', async () => {
    assertProblem(await alice.session.post('/v1/messages', fileMessage(alice, privateId, randomUUID())), 404, 'FILE_NOT_FOUND');
  });

  it('lets a member forward a file they can see to another of their conversations; others get 404', async () => {
    const fileId = await alice.uploaded(testFile());
    const bobAndCarol = await bob.session.createConversation('private', [bob.session.userId, carol.session.userId]);
    assertProblem(await bob.session.post('/v1/messages', fileMessage(bob, bobAndCarol, fileId)), 404, 'FILE_NOT_FOUND');
    assert.equal((await alice.session.post('/v1/messages', fileMessage(alice, privateId, fileId))).status, 200);
    const forwarded = await bob.session.post('/v1/messages', fileMessage(bob, bobAndCarol, fileId));
    assert.equal(forwarded.status, 200, JSON.stringify(forwarded.body));
    assert.equal((await carol.download(fileId)).status, 200, 'carol sees it now, in the conversation it was forwarded to');
  });

  it('marks the message failed, with the reason, and logs it for the operator when the object is gone from storage (FR-029)', async () => {
    const fileId = await alice.uploaded(testFile());
    await new StorageProbe(hub).removeObject(fileId);
    const body = fileMessage(alice, privateId, fileId);
    assert.equal((await alice.session.post('/v1/messages', body)).status, 200);
    const failed = await waitFor(async () => {
      const response = await alice.session.get(`/v1/messages/${body.message_id}`);
      return response.body.status === 'failed' && response.body;
    }, { what: 'the message to fail' });
    const last = failed.status_history.at(-1);
    assert.equal(last.status, 'failed');
    assert.match(last.reason, new RegExp(`file ${fileId} is missing from storage`));
    assert.equal(hub.linesWith(String(body.message_id)).filter((line) => line.startsWith('INFO: Mensagem')).length, 0, 'nothing delivered');
    // the router's warning (shown at the default level and at the tests' LOG_LEVEL=warn): one line naming both
    const logged = await waitFor(async () => {
      const lines = hub.linesWith(`file ${fileId} is missing from storage`).filter((line) => line.includes(String(body.message_id)));
      return lines.length > 0 && lines;
    }, { what: 'a log line naming the message and the missing file' });
    assert.equal(logged.length, 1, logged.join('\n'));
    const line = JSON.parse(logged[0]!);
    assert.equal(line.level, 'warn');
    assert.equal(line.message_id, body.message_id);
    assert.equal(line.file_id, fileId);
    assert.match(line.msg, new RegExp(`^Message ${body.message_id} failed: file ${fileId} is missing from storage`));
  });
});

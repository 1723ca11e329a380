/**
 * A quick, rough accept-throughput probe (not the benchmark harness): starts a hub like the tests do, sends
 * --messages text messages over --connections keep-alive connections with fetch from this process, and prints
 * messages accepted per second. The load generator shares the machine's cores with the hub.
 *
 *   node bench/quick-accept.ts [--mode embedded|distributed] [--roles api|start] [--messages 6000] [--connections 50]
 *
 * distributed needs KAFKA_BOOTSTRAP_SERVERS (npm run services:start; source .services/env) and PostgreSQL.
 */
import { parseArgs } from 'node:util';
import { ApiClient } from '../test/support/api-client.ts';
import { HubProcess } from '../test/support/hub-process.ts';
import type { TestMode } from '../test/support/test-modes.ts';

const { values } = parseArgs({
  options: {
    mode: { type: 'string', default: 'embedded' },
    roles: { type: 'string', default: 'api' },
    messages: { type: 'string', default: '6000' },
    connections: { type: 'string', default: '50' },
  },
});
const total = Number(values.messages);
const hub = await HubProcess.start({ mode: values.mode as TestMode, args: [values.roles!] });
try {
  const client = new ApiClient(hub.url);
  const [sender, peer] = await Promise.all([client.login('user1'), client.login('user2')]);
  const conversations = await Promise.all(
    Array.from({ length: 10 }, () => sender.createConversation('private', [sender.userId, peer.userId])),
  );
  let next = 0;
  let errors = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: Number(values.connections) }, async () => {
      while (next < total) {
        const index = next++;
        const response = await sender.post('/v1/messages', sender.textMessage(conversations[index % conversations.length]!));
        if (response.status !== 200) errors++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `${values.mode}, roles=${values.roles}: ${total} messages in ${seconds.toFixed(1)} s = ${Math.round(total / seconds)} accepted/s, ${errors} errors`,
  );
} finally {
  await hub.stop();
}

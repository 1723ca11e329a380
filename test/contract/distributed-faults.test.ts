import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as pause } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ApiClient, waitFor, type ApiResponse, type Session } from '../support/api-client.ts';
import { assertProblem } from '../support/assertions.ts';
import { HubProcess } from '../support/hub-process.ts';
import { distributedState, testModes } from '../support/test-modes.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PG_URL = new URL(process.env.CHAT4ALL_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test');
const DELIVERY_LINE = /^INFO: Mensagem (\S+) enviada para o usuário (\S+) no (WhatsApp|Instagram)$/;
/** A request to a hub whose database is down must be answered within this (it fails fast, then 503). */
const ANSWER_WITHIN_MS = 5_000;
const DEBUG_ENV: Record<string, string> = process.env.DEBUG_FAULTS ? { LOG_LEVEL: 'info' } : {};

const distributed = testModes.includes('distributed');
const skip = distributed
  ? false
  : 'distributed mode is off (CHAT4ALL_TEST_MODES has no "distributed": no PostgreSQL/Kafka here); these faults need them';

describe('faults in distributed mode', { skip }, () => {
  describe('broker outage', () => {
    let servicesDir: string;
    let kafkaEnv: Record<string, string>;
    let bootstrap: string;
    let dataDir: string;
    let hub: HubProcess | undefined;
    let running: Sender | undefined;

    const kafka = async (command: 'start' | 'stop') => {
      // Asynchronous on purpose: the sends go on while the script starts or stops the broker.
      try {
        await promisify(execFile)('bash', ['scripts/services.sh', command, 'kafka'], { cwd: ROOT, env: kafkaEnv, timeout: 180_000 });
      } catch (error) {
        const { stdout, stderr } = error as { stdout?: string; stderr?: string };
        throw new Error(`services.sh ${command} failed for the private Kafka: ${String(error)}\n${stdout ?? ''}${stderr ?? ''}`);
      }
    };

    before(async () => {
      // A Kafka of this test's own: stopping the shared one on 9092 would break the other suites.
      servicesDir = await mkdtemp(path.join(tmpdir(), 'chat4all-kafka-'));
      const [port, controllerPort] = await freePorts(2);
      bootstrap = `127.0.0.1:${port}`;
      kafkaEnv = {
        ...(process.env as Record<string, string>),
        SERVICES_DIR: servicesDir,
        KAFKA_PORT: String(port),
        KAFKA_CONTROLLER_PORT: String(controllerPort),
      };
      await kafka('start');
      dataDir = await mkdtemp(path.join(tmpdir(), 'chat4all-broker-'));
      hub = await HubProcess.start({ mode: 'distributed', dataDir, env: { KAFKA_BOOTSTRAP_SERVERS: bootstrap, ...DEBUG_ENV } });
    });

    after(async () => {
      await running?.stop();
      if (hub) await terminate(hub);
      if (dataDir) await HubProcess.removeState(dataDir, 'distributed');
      if (servicesDir) {
        await kafka('stop').catch((error: unknown) => console.error(error));
        await rm(servicesDir, { recursive: true, force: true });
      }
    });

    it('keeps accepting while Kafka is down and delivers every accepted message exactly once when it returns', async (t) => {
      const client = new ApiClient(hub!.url);
      const [alice, bob, carol] = await Promise.all([client.login('user1'), client.login('user2'), client.login('user3')]);
      const recipients = [bob.userId, carol.userId];
      const conversations = await Promise.all(
        Array.from({ length: 4 }, () => alice.createConversation('group', [alice.userId, bob.userId, carol.userId])),
      );
      const sender = new Sender(alice, conversations);
      running = sender;

      // A fresh broker creates its offsets topic when the first consumer group joins: allow for that.
      const startedAt = Date.now();
      await waitFor(async () => hubRunning(hub!) && deliveries(hub!.output).length > 0, {
        timeoutMs: 60_000,
        what: 'the first delivery through the private Kafka',
      }).catch((error: Error) => {
        throw new Error(`${error.message}; the hub's last output:\n${tail(hub!.output)}`);
      });
      t.diagnostic(`first delivery ${Date.now() - startedAt} ms after the sends began`);
      await kafka('stop');
      const atStop = sender.accepted.length;

      // While the broker is away: the API goes on accepting, and /ready says the bus is what is missing.
      const ready = await waitFor(async () => {
        const response = await client.request('GET', '/ready');
        return response.body.checks?.bus?.status === 'failing' && response;
      }, { what: '/ready to report the bus failing' });
      assert.equal(ready.status, 200, 'the API still accepts messages: degraded, not unavailable');
      assert.equal(ready.body.status, 'degraded');
      assert.equal(ready.body.checks.database.status, 'ok');
      await waitFor(async () => sender.accepted.length >= atStop + 50, { what: '50 messages accepted while Kafka is down' });
      assert.deepEqual(sender.failures, [], 'every send answered 200 while Kafka was down');

      await kafka('start');
      const atRestart = sender.accepted.length;
      await waitFor(async () => sender.accepted.length >= atRestart + 20, { what: 'messages accepted after Kafka returned' });
      await sender.stop();
      assert.deepEqual(sender.failures, [], 'every send answered 200');
      t.diagnostic(
        `accepted ${sender.accepted.length}: ${atStop} before the stop, ${atRestart - atStop} while down (stop + restart), ${sender.accepted.length - atRestart} after`,
      );

      await waitFor(async () => {
        const statuses = await listStatuses(alice, conversations);
        return statuses.length === sender.accepted.length && statuses.every((status) => status === 'delivered');
      }, { timeoutMs: 60_000, intervalMs: 250, what: 'every accepted message delivered after Kafka returned' });
      assertDeliveredOnce(await completeLines(hub!, sender.accepted, recipients), sender.accepted, recipients);

      const back = await waitFor(async () => {
        const response = await client.request('GET', '/ready');
        return response.status === 200 && response.body.status === 'ready' && response;
      }, { what: '/ready to be ready again' });
      assert.equal(back.body.checks.bus.status, 'ok');
    });
  });

  describe('database outage', () => {
    let dataDir: string;
    let proxy: TcpProxy;
    let hub: HubProcess | undefined;

    before(async () => {
      dataDir = await mkdtemp(path.join(tmpdir(), 'chat4all-dbproxy-'));
      proxy = new TcpProxy(PG_URL.hostname, Number(PG_URL.port || 5432));
      const port = await proxy.listen(0);
      // The hub's own database (created by HubProcess.stateEnv), reached through the proxy.
      const viaProxy = new URL(distributedState(dataDir).url);
      viaProxy.host = `127.0.0.1:${port}`;
      hub = await HubProcess.start({ mode: 'distributed', dataDir, env: { DATABASE_URL: viaProxy.toString() } });
    });

    after(async () => {
      if (hub) await terminate(hub);
      await proxy?.close();
      if (dataDir) await HubProcess.removeState(dataDir, 'distributed');
    });

    it('answers 503 with Retry-After while PostgreSQL is unreachable and recovers by itself', async (t) => {
      const client = new ApiClient(hub!.url);
      const [alice, bob, carol] = await Promise.all([client.login('user1'), client.login('user2'), client.login('user3')]);
      const recipients = [bob.userId, carol.userId];
      const conversationId = await alice.createConversation('group', [alice.userId, bob.userId, carol.userId]);
      const message = (text: string) => alice.textMessage(conversationId, { channels: ['all'], payload: { type: 'text', text } });
      const send = async (body: Record<string, unknown>) => {
        const response = await alice.post('/v1/messages', body);
        assert.equal(response.status, 200, JSON.stringify(response.body));
        return body.message_id as string;
      };

      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push(await send(message(`before ${i}`)));
      await waitFor(async () => hubRunning(hub!) && new Set(deliveries(hub!.output).map((d) => d.messageId)).size === 5, {
        what: 'the first messages delivered',
      });
      // These are still in the pipeline when the database goes away.
      const inFlight: string[] = [];
      for (let i = 0; i < 10; i++) inFlight.push(await send(message(`in flight ${i}`)));
      ids.push(...inFlight);

      const outputAtDown = hub!.output.length;
      await proxy.down();
      await waitFor(async () => !(await accepts(proxy.port)), { what: 'the proxy to refuse connections' });
      const downAt = Date.now();

      const refused: Record<string, unknown>[] = [];
      const expect503 = async (what: string, request: () => Promise<ApiResponse>) => {
        const started = Date.now();
        const response = await request().catch((error: unknown) => {
          throw new Error(`${what}: no HTTP answer (${String(error)}, ${String((error as Error).cause)}); the hub's last output:\n${tail(hub!.output)}`);
        });
        const took = Date.now() - started;
        assert.ok(took < ANSWER_WITHIN_MS, `${what} answered in ${took} ms, not within ${ANSWER_WITHIN_MS} ms`);
        assert.equal(response.status, 503, `${what}: ${response.status} ${JSON.stringify(response.body)}`);
        assertProblem(response, 503);
        const retryAfter = response.headers.get('retry-after');
        assert.match(retryAfter ?? '', /^\d+$/, `${what}: Retry-After in seconds, got ${retryAfter}`);
        assert.ok(Number(retryAfter) > 0);
      };
      const outageRound = async () => {
        const body = message(`during the outage ${refused.length}`);
        refused.push(body);
        // Several at once, so the pool is asked for more than one connection.
        await Promise.all([
          expect503('POST /v1/messages', () => alice.post('/v1/messages', body)),
          expect503('GET /v1/messages/{id}', () => alice.get(`/v1/messages/${ids[0]}`)),
          expect503('GET /v1/conversations/{id}/messages', () => alice.get(`/v1/conversations/${conversationId}/messages`)),
          expect503('GET /v1/conversations/{id}', () => alice.get(`/v1/conversations/${conversationId}`)),
          expect503('GET /v1/users/me', () => alice.get('/v1/users/me')),
          expect503('POST /auth/token', () => client.request('POST', '/auth/token', { body: { username: 'user2', password: 'password123' } })),
        ]);
        const ready = await client.request('GET', '/ready');
        assert.equal(ready.status, 503, JSON.stringify(ready.body));
        assert.equal(ready.body.status, 'unavailable');
        assert.equal(ready.body.checks.database.status, 'failing', JSON.stringify(ready.body));
        assert.equal(ready.body.checks.bus.status, 'ok', 'only the database is missing');
        assert.match(ready.headers.get('retry-after') ?? '', /^\d+$/);
      };
      // Straight away (connections the pool held have just been cut), then once the background roles noticed too.
      await outageRound();
      // Keep it down until the relay's loop has failed and backed off a few times (its pauses grow with each failure).
      const relayFailures = () =>
        hub!.output.slice(outputAtDown).split('\n').filter((line) => line.includes('"component":"outbox"') && line.includes('batch failed')).length;
      await waitFor(async () => relayFailures() >= 4, { timeoutMs: 20_000, what: 'the relay to fail and back off a few times' });
      await outageRound();
      await outageRound();
      t.diagnostic(`database down for ${Date.now() - downAt} ms`);

      await proxy.listen(proxy.port);
      const upAt = Date.now();
      await waitFor(async () => {
        const response = await client.request('GET', '/ready');
        return response.status === 200 && response.body.status === 'ready';
      }, { timeoutMs: 30_000, what: '/ready after the database returned' });
      // The sends refused during the outage, tried again now, are accepted as new.
      for (const body of refused) {
        const response = await alice.post('/v1/messages', body);
        assert.equal(response.status, 200, JSON.stringify(response.body));
        assert.equal(response.headers.get('idempotent-replay'), null, 'a refused send was not stored');
        ids.push(body.message_id as string);
      }
      for (let i = 0; i < 5; i++) ids.push(await send(message(`after ${i}`)));
      const reader = await client.login('user1');
      assert.equal((await reader.get(`/v1/messages/${ids[0]}`)).status, 200);

      await waitFor(async () => {
        const statuses = await listStatuses(alice, [conversationId]);
        return statuses.length === ids.length && statuses.every((status) => status === 'delivered');
      }, { timeoutMs: 60_000, intervalMs: 250, what: 'every message delivered after the database returned' });
      t.diagnostic(`all ${ids.length} delivered ${Date.now() - upAt} ms after the database returned`);
      // In the store: exactly one delivery per channel and recipient, all delivered.
      for (const id of ids) {
        const { body } = await alice.get(`/v1/messages/${id}`);
        assert.deepEqual(
          body.deliveries.map((d: { channel: string; recipient_id: string; status: string }) => `${d.channel}/${d.recipient_id}/${d.status}`).sort(),
          ['instagram', 'whatsapp'].flatMap((channel) => recipients.map((r) => `${channel}/${r}/delivered`)).sort(),
          `message ${id}: one delivered delivery per channel and recipient`,
        );
      }
      // The lines: never twice. A connection cut while a connector commits its deliveries leaves the commit's
      // outcome unknown to the hub (it may have succeeded): the retry then finds nothing pending and prints nothing.
      // So messages in the pipeline at the cut may miss lines (see the diagnostic); every other one has them all.
      const lines = await completeLines(hub!, ids.filter((id) => !inFlight.includes(id)), recipients);
      assertDeliveredOnce(lines, ids, recipients, { mayMiss: inFlight });
      const missing = expectedDeliveries(inFlight, recipients).map(key).filter((k) => !lines.some((line) => key(line) === k));
      t.diagnostic(`delivery lines missing for messages in flight at the cut (recorded, never printed): ${missing.length}`);
      assert.doesNotMatch(hub!.output, /"statusCode":500|Internal Server Error/, 'no 500 in the hub output');
    });
  });
});

/**
 * True while the hub runs; throws at once, with its output, when it has given up (e.g. a role failed to start
 * after the API was already listening), rather than letting a wait run to its timeout.
 */
function hubRunning(hub: HubProcess): true {
  if (/^chat4all: /m.test(hub.output)) throw new Error(`the hub exited:\n${tail(hub.output)}`);
  return true;
}

/** Stops a hub: SIGTERM, and SIGKILL if it has not exited within 15 s (e.g. stuck on a dependency that is gone). */
async function terminate(hub: HubProcess): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), 15_000)));
  const outcome = await Promise.race([hub.kill('SIGTERM'), late]);
  clearTimeout(timer);
  if (outcome === 'late') await hub.kill('SIGKILL');
}

/** The last lines of a process's output, each cut short (pino prints whole pg clients with some errors). */
function tail(output: string, lines = 30, width = 300): string {
  return output.trimEnd().split('\n').slice(-lines).map((line) => (line.length > width ? `${line.slice(0, width)}…` : line)).join('\n');
}

interface Delivery {
  messageId: string;
  recipientId: string;
  channel: string;
}

const key = (d: Delivery) => `${d.messageId}/${d.recipientId}/${d.channel}`;

function deliveries(output: string): Delivery[] {
  return output.split('\n').flatMap((line) => {
    const match = DELIVERY_LINE.exec(line);
    return match ? [{ messageId: match[1]!, recipientId: match[2]!, channel: match[3]! }] : [];
  });
}

function expectedDeliveries(ids: readonly string[], recipients: readonly string[]): Delivery[] {
  return ids.flatMap((messageId) =>
    ['WhatsApp', 'Instagram'].flatMap((channel) => recipients.map((recipientId) => ({ messageId, recipientId, channel }))),
  );
}

/** Waits until every expected delivery has its line (a line follows its commit), then returns all lines. */
async function completeLines(hub: HubProcess, ids: readonly string[], recipients: readonly string[]): Promise<Delivery[]> {
  const expected = expectedDeliveries(ids, recipients).map(key);
  return waitFor(async () => {
    const found = deliveries(hub.output);
    const seen = new Set(found.map(key));
    return expected.every((k) => seen.has(k)) && found;
  }, { what: 'a delivery line for every message, recipient and channel' }).catch((error: Error) => {
    const seen = new Set(deliveries(hub.output).map(key));
    const missing = expected.filter((k) => !seen.has(k));
    throw new Error(`${error.message}: ${missing.length} lines missing (message/recipient/channel): ${missing.slice(0, 5).join(', ')}`);
  });
}

/** No line twice, no line for anything else, and a line for every delivery except perhaps those of `mayMiss`. */
function assertDeliveredOnce(
  lines: Delivery[],
  ids: readonly string[],
  recipients: readonly string[],
  { mayMiss = [] as readonly string[] } = {},
): void {
  const twice = [...Map.groupBy(lines, key)].filter(([, copies]) => copies.length > 1).map(([k]) => k);
  assert.deepEqual(twice, [], 'no delivery line is printed twice');
  const expected = new Set(expectedDeliveries(ids, recipients).map(key));
  const found = new Set(lines.map(key));
  assert.deepEqual([...found].filter((k) => !expected.has(k)), [], 'no line for anything but the expected deliveries');
  const required = expectedDeliveries(ids.filter((id) => !mayMiss.includes(id)), recipients).map(key);
  assert.deepEqual(required.filter((k) => !found.has(k)), [], 'a line for every delivery');
}

/** Sends text messages on every channel, round-robin over the conversations, until stopped. */
class Sender {
  readonly accepted: string[] = [];
  readonly failures: string[] = [];
  #stopped = false;
  readonly #done: Promise<void>;

  constructor(session: Session, conversations: string[], { concurrency = 2, paceMs = 20 } = {}) {
    let next = 0;
    this.#done = Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (!this.#stopped) {
          const index = next++;
          const body = session.textMessage(conversations[index % conversations.length]!, {
            channels: ['all'],
            payload: { type: 'text', text: `m${index}` },
          });
          try {
            const response = await session.post('/v1/messages', body);
            if (response.status === 200) this.accepted.push(body.message_id as string);
            else this.failures.push(`${response.status} ${JSON.stringify(response.body)}`);
          } catch (error) {
            this.failures.push(String(error));
          }
          await pause(paceMs); // a steady stream, not a flood
        }
      }),
    ).then(() => undefined);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#done;
  }
}

async function listStatuses(reader: Session, conversations: string[]): Promise<string[]> {
  const pages = await Promise.all(
    conversations.map(async (id) => {
      const statuses: string[] = [];
      for (let offset = 0; ; offset += 100) {
        const page = await reader.get(`/v1/conversations/${id}/messages?limit=100&offset=${offset}`);
        assert.equal(page.status, 200, JSON.stringify(page.body));
        statuses.push(...page.body.messages.map((m: { status: string }) => m.status));
        if (offset + 100 >= page.body.total) return statuses;
      }
    }),
  );
  return pages.flat();
}

/** Ports nobody listens on right now. */
async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () => new Promise<net.Server>((resolve, reject) => {
      const server = net.createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve(server));
    })),
  );
  const ports = servers.map((server) => (server.address() as net.AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

/** Whether something accepts TCP connections on 127.0.0.1:port. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

/** A TCP proxy to PostgreSQL that can be taken down (listener closed, every connection cut) and brought back. */
class TcpProxy {
  readonly #host: string;
  readonly #targetPort: number;
  readonly #sockets = new Set<net.Socket>();
  #server: net.Server | undefined;
  port = 0;

  constructor(host: string, port: number) {
    this.#host = host;
    this.#targetPort = port;
  }

  async listen(port: number): Promise<number> {
    const server = net.createServer((client) => {
      const upstream = net.connect(this.#targetPort, this.#host);
      for (const socket of [client, upstream]) {
        this.#sockets.add(socket);
        socket.once('close', () => this.#sockets.delete(socket));
        socket.on('error', () => (client.destroy(), upstream.destroy()));
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.#server = server;
    this.port = (server.address() as net.AddressInfo).port;
    return this.port;
  }

  /** The database "goes down": no new connections, and the open ones are cut. */
  async down(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    const closed = server ? new Promise((resolve) => server.close(resolve)) : Promise.resolve();
    for (const socket of this.#sockets) socket.destroy();
    await closed;
  }

  async close(): Promise<void> {
    await this.down();
  }
}

/**
 * Latency seen from WebSocket events, in its own process: listeners hold /v1/ws connections while senders
 * POST /v1/messages at a constant arrival rate (message i is due at i / rate seconds, sent then whatever the
 * answers' speed); each expected event's latency is its arrival on the listener's socket minus the time its
 * message was due, on this process's clock. Reads its task as JSON on stdin, prints one JSON result line.
 *
 * `delivered`: the sender's own socket gets `message.status` with status `delivered` (accept → delivered).
 * `created`: every listener gets `message.created` (fan-out to a group's members).
 */
import http from 'node:http';
import { readInput } from '../support/child.ts';
import { percentiles, round } from '../support/stats.ts';
import { messageBodies, type Sender } from './senders.ts';
import { dropSockets, openSockets, type Frame, type WsClient } from './ws-sockets.ts';

export interface WsEventsInput {
  url: string;
  listeners: WsClient[];
  senders: Sender[];
  awaits: 'delivered' | 'created';
  ratePerSecond: number;
  /** Messages due in the first `warmupSeconds` are sent but not measured (JIT, pools, consumers warm up). */
  warmupSeconds: number;
  measureSeconds: number;
  /** How long after the last message is due the client waits for the events still missing. */
  graceSeconds: number;
  maxSockets: number;
}

type Percentiles = { p50: number; p99: number; p999: number; max: number };

export interface WsEventsResult {
  /** Measured messages the hub accepted (HTTP 200), and those it did not. */
  accepted: number;
  postErrors: number;
  postLatencyMs: Percentiles;
  /** (message, listener) pairs expected, received and never received within the grace time. */
  expected: number;
  received: number;
  missing: number;
  /** The same event twice on one socket (should be 0). */
  duplicates: number;
  latencyMs: Percentiles;
  /** Per message: until the last of its listeners had it (only messages every listener got). */
  lastListenerMs: Percentiles;
  /** Listener connections that closed during the run (should be 0). */
  closed: number;
  /** How far behind schedule this client itself sent a message at worst (its own limit, not the hub's). */
  maxSendLagMs: number;
  loadCpuPercent: number;
}

interface Tracked {
  dueAt: number;
  measured: boolean;
  /** Listener indices that should get an event for this message, and when each did. */
  awaited: Map<number, number | null>;
  accepted: boolean | null;
}

const input = await readInput<WsEventsInput>();
const tracked = new Map<string, Tracked>();
const socketsOf = new Map<string, number[]>();
input.listeners.forEach(({ userId }, index) => socketsOf.set(userId, [...(socketsOf.get(userId) ?? []), index]));
const everyone = input.listeners.map((_, index) => index);
let duplicates = 0;

const isAwaited = (frame: Frame) =>
  input.awaits === 'delivered' ? frame.type === 'message.status' && frame.data?.status === 'delivered' : frame.type === 'message.created';

function onFrame(index: number, frame: Frame): void {
  if (!isAwaited(frame)) return;
  const entry = tracked.get(frame.data?.message_id ?? '');
  if (!entry?.awaited.has(index)) return;
  if (entry.awaited.get(index) !== null) duplicates++;
  else entry.awaited.set(index, performance.now());
}

const sockets = await openSockets(input.url, input.listeners, { concurrency: 50, onFrame });
const agent = new http.Agent({ keepAlive: true, maxSockets: input.maxSockets });
const target = new URL('/v1/messages', input.url);
const next = messageBodies(input.senders);
const postLatencies: number[] = [];
let unanswered = 0;

function send(dueAt: number, measured: boolean): void {
  const { token, body, messageId } = next();
  const sender = input.senders.find((candidate) => candidate.token === token)!;
  const listeners = input.awaits === 'delivered' ? (socketsOf.get(sender.userId) ?? []) : everyone;
  const entry: Tracked = { dueAt, measured, awaited: new Map(listeners.map((index) => [index, null])), accepted: null };
  tracked.set(messageId, entry);
  unanswered++;
  const answered = (accepted: boolean) => {
    entry.accepted = accepted;
    unanswered--;
    if (measured) postLatencies.push(performance.now() - dueAt);
  };
  const request = http.request(target, {
    method: 'POST',
    agent,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'content-length': Buffer.byteLength(body) },
  });
  request.on('response', (response) => response.resume().on('end', () => answered(response.statusCode === 200)));
  request.on('error', () => answered(false));
  request.end(body);
}

const cpuBefore = process.cpuUsage();
const startedAt = performance.now();
const warmupCount = Math.round(input.ratePerSecond * input.warmupSeconds);
const total = warmupCount + Math.round(input.ratePerSecond * input.measureSeconds);
let maxSendLagMs = 0;
for (let index = 0; index < total; ) {
  const now = performance.now();
  for (; index < total && startedAt + (index * 1000) / input.ratePerSecond <= now; index++) {
    const dueAt = startedAt + (index * 1000) / input.ratePerSecond;
    maxSendLagMs = Math.max(maxSendLagMs, now - dueAt);
    send(dueAt, index >= warmupCount);
  }
  await new Promise((resolve) => setTimeout(resolve, 1));
}

const measured = () => [...tracked.values()].filter((entry) => entry.measured && entry.accepted === true);
const complete = () => unanswered === 0 && measured().every((entry) => [...entry.awaited.values()].every((at) => at !== null));
const deadline = performance.now() + input.graceSeconds * 1000;
while (!complete() && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
const seconds = (performance.now() - startedAt) / 1000;
const cpu = process.cpuUsage(cpuBefore);

const latencies: number[] = [];
const lastListener: number[] = [];
let expected = 0;
for (const entry of measured()) {
  const arrivals = [...entry.awaited.values()];
  expected += arrivals.length;
  for (const at of arrivals) if (at !== null) latencies.push(at - entry.dueAt);
  if (arrivals.every((at) => at !== null)) lastListener.push(Math.max(...(arrivals as number[])) - entry.dueAt);
}
const summary = (values: number[]): Percentiles => {
  const [p50, p99, p999, max] = percentiles(values, [50, 99, 99.9, 100]).map(round);
  return { p50: p50!, p99: p99!, p999: p999!, max: max! };
};
const accepted = measured().length;
const output: WsEventsResult = {
  accepted,
  postErrors: total - warmupCount - accepted,
  postLatencyMs: summary(postLatencies),
  expected,
  received: latencies.length,
  missing: expected - latencies.length,
  duplicates,
  latencyMs: summary(latencies),
  lastListenerMs: summary(lastListener),
  closed: sockets.filter((socket) => socket.closedWith !== null).length,
  maxSendLagMs: round(maxSendLagMs),
  loadCpuPercent: Math.round(((cpu.user + cpu.system) / 1e6 / seconds) * 100),
};
process.stdout.write(`${JSON.stringify(output)}\n`);
dropSockets(sockets);
agent.destroy();
process.exit(0);

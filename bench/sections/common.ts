import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { ApiClient } from '../../test/support/api-client.ts';
import type { ClosedLoadInput, ClosedLoadResult } from '../load/closed-load.ts';
import type { OpenLoadInput, OpenLoadResult } from '../load/open-load.ts';
import type { ProbeInput, ProbeResult } from '../load/latency-probe.ts';
import type { Sender } from '../load/senders.ts';
import { runJson } from '../support/child.ts';
import { startDeployment, type Deployment, type DeploymentOptions } from '../support/deployment.ts';

const script = (name: string) => fileURLToPath(new URL(`../load/${name}`, import.meta.url));

export const DEMO_USERS = ['user1', 'user2', 'user3', 'user4', 'user5'];
export const DEMO_PASSWORD = 'password123';

export const closedLoad = (input: ClosedLoadInput) =>
  runJson<ClosedLoadResult>(script('closed-load.ts'), input, { timeoutMs: (input.durationSeconds + 60) * 1000 });

export const openLoad = (input: OpenLoadInput) =>
  runJson<OpenLoadResult>(script('open-load.ts'), input, { timeoutMs: (input.durationSeconds + input.graceSeconds + 60) * 1000 });

export const latencyProbe = (input: ProbeInput) => runJson<ProbeResult>(script('latency-probe.ts'), input, { timeoutMs: 600_000 });

/**
 * Every demo user signs in and opens `perSender` private conversations with the next user: 5 senders, so
 * the load spreads over 5 × perSender conversations, as many clients of a hub would.
 */
export async function signInSenders(url: string, perSender: number): Promise<Sender[]> {
  const client = new ApiClient(url);
  const sessions = await Promise.all(DEMO_USERS.map((username) => client.login(username, DEMO_PASSWORD)));
  return Promise.all(
    sessions.map(async (session, index) => {
      const peer = sessions[(index + 1) % sessions.length]!;
      const conversations: string[] = [];
      for (let i = 0; i < perSender; i++) conversations.push(await session.createConversation('private', [session.userId, peer.userId]));
      return { token: session.token, userId: session.userId, conversations };
    }),
  );
}

/** Runs `work` on a fresh deployment and removes its state afterwards, whatever happens. */
export async function withDeployment<T>(options: DeploymentOptions, work: (deployment: Deployment) => Promise<T>): Promise<T> {
  const deployment = await startDeployment(options);
  try {
    return await work(deployment);
  } finally {
    await deployment.stop();
    await deployment.removeState();
  }
}

export const pct = (value: number) => `${Math.round(value)} %`;

export const CPU_NOTE =
  'CPU in % of one core (both cores = 200): hub = every hub process, postgres = every PostgreSQL backend, kafka = the broker, ' +
  'load = the load generators, other = everything else on the machine meanwhile (other people\'s work: the higher, the noisier the row).';

/**
 * CPU use as the tables show it, in % of one core: each of our process groups, the load generators, and
 * "other", what the rest of the machine used meanwhile (other people's work makes a figure noisy).
 */
export function cpuCell(cpu: Record<string, number>, loadPercent: number[]): string {
  const { machine = 0, ...groups } = cpu;
  const load = loadPercent.reduce((sum, value) => sum + value, 0);
  const ours = Object.values(groups).reduce((sum, value) => sum + value, 0) + load;
  const other = Math.max(0, Math.round(machine * availableParallelism() - ours));
  return [...Object.entries(groups).map(([name, value]) => `${name} ${value}`), `load ${load}`, `other ${other}`].join(', ');
}

import type { ClosedLoadResult } from '../load/closed-load.ts';
import { cpuMeter } from '../support/cpu.ts';
import { CONNECTIONS, CONVERSATIONS_PER_SENDER } from './accept.ts';
import { closedLoad, CPU_NOTE, cpuCell, DEMO_PASSWORD, DEMO_USERS, signInSenders, withDeployment } from './common.ts';
import type { BenchContext, Section, SectionResult } from './section.ts';

/** Login clients at once: a burst of people signing in, each waiting for its answer. */
const LOGIN_CONNECTIONS = 8;

export const loginSection: Section = {
  name: 'login',
  title: 'Login: POST /auth/token (bcrypt at the default cost), alone and alongside accept traffic',
  async run(context: BenchContext): Promise<SectionResult> {
    const seconds = context.quick ? 3 : 15;
    const rows: SectionResult['rows'] = [];
    const data: Record<string, unknown> = {};
    for (const mode of context.modes) {
      data[mode] = await withDeployment({ mode, roles: 'all' }, async (deployment) => {
        const url = deployment.url;
        const senders = await signInSenders(url, CONVERSATIONS_PER_SENDER);
        const login = () =>
          closedLoad({ url, connections: LOGIN_CONNECTIONS, durationSeconds: seconds, task: { kind: 'login', usernames: DEMO_USERS, password: DEMO_PASSWORD } });
        const accept = () => closedLoad({ url, connections: CONNECTIONS, durationSeconds: seconds, task: { kind: 'messages', senders } });
        await closedLoad({ url, connections: CONNECTIONS, durationSeconds: context.quick ? 1 : 3, task: { kind: 'messages', senders } });
        const measure = async <T>(work: () => Promise<T>) => {
          const meter = cpuMeter(deployment.cpuGroups);
          const result = await work();
          return { result, cpu: meter() };
        };
        context.log(`login: ${mode}, logins alone`);
        const alone = await measure(login);
        context.log(`login: ${mode}, accepts alone`);
        const acceptAlone = await measure(accept);
        context.log(`login: ${mode}, logins and accepts together`);
        const together = await measure(() => Promise.all([login(), accept()]));
        const row = (what: string, logins: ClosedLoadResult | null, accepts: ClosedLoadResult | null, cpu: Record<string, number>) =>
          rows.push([
            mode,
            what,
            logins?.okPerSecond ?? null,
            logins?.latencyMs.p99 ?? null,
            accepts?.okPerSecond ?? null,
            accepts?.latencyMs.p99 ?? null,
            (logins ? logins.non2xx + logins.errors + logins.timeouts : 0) + (accepts ? accepts.non2xx + accepts.errors + accepts.timeouts : 0),
            cpuCell(cpu, [logins?.loadCpuPercent ?? 0, accepts?.loadCpuPercent ?? 0]),
          ]);
        row('logins alone', alone.result, null, alone.cpu);
        row('accepts alone', null, acceptAlone.result, acceptAlone.cpu);
        row('both at once', together.result[0], together.result[1], together.cpu);
        return { alone, acceptAlone, together };
      });
    }
    return {
      columns: ['mode', 'load', 'logins/s', 'login p99 ms', 'accepted/s', 'accept p99 ms', 'errors', 'CPU % of one core'],
      rows,
      notes: [
        `autocannon: ${LOGIN_CONNECTIONS} connections logging in as user1..user5 (bcrypt cost 12, the default), ${CONNECTIONS} connections sending messages; ${seconds} s each, every role running.`,
        'bcrypt runs on libuv\'s thread pool (4 threads), off the event loop; the question is how much CPU it leaves the accept path on 2 cores.',
        CPU_NOTE,
      ],
      data,
    };
  },
};

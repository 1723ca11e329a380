import { ApiClient } from '../../test/support/api-client.ts';
import type { ProbeResult } from '../load/latency-probe.ts';
import { freshState, startDeployment } from '../support/deployment.ts';
import { seedHistory } from '../support/seed-history.ts';
import { DEMO_PASSWORD, latencyProbe } from './common.ts';
import type { BenchContext, Section, SectionResult } from './section.ts';

const LIMIT = 50;

function cases(count: number, conversationId: string): Array<{ name: string; path: string }> {
  const base = `/v1/conversations/${conversationId}/messages?limit=${LIMIT}`;
  const middle = Math.floor(count / 2);
  return [
    { name: 'offset, first page', path: `${base}&offset=0` },
    { name: 'offset, middle page', path: `${base}&offset=${middle}` },
    { name: 'offset, last page', path: `${base}&offset=${count - LIMIT}` },
    { name: 'cursor after_seq, first page', path: `${base}&after_seq=0` },
    { name: 'cursor after_seq, middle page', path: `${base}&after_seq=${middle}` },
    { name: 'cursor after_seq, last page', path: `${base}&after_seq=${count - LIMIT}` },
    { name: 'cursor before_seq, newest page', path: `${base}&before_seq=${count + 1}` },
  ];
}

export const historySection: Section = {
  name: 'history',
  title: 'History reads: GET /v1/conversations/{id}/messages on one huge conversation, one request at a time',
  async run(context: BenchContext): Promise<SectionResult> {
    const count = context.quick ? 50_000 : 1_000_000;
    const requests = context.quick ? 50 : 300;
    const rows: SectionResult['rows'] = [];
    const data: Record<string, unknown> = {};
    for (const mode of context.modes) {
      const dataDir = await freshState();
      let deployment = await startDeployment({ mode, roles: 'api', dataDir });
      try {
        const client = new ApiClient(deployment.url);
        const [alice, bob] = await Promise.all([client.login('user1', DEMO_PASSWORD), client.login('user2', DEMO_PASSWORD)]);
        const conversationId = await alice.createConversation('private', [alice.userId, bob.userId]);
        context.log(`history: ${mode}, seeding ${count.toLocaleString('en-US')} messages`);
        const seedStarted = performance.now();
        if (mode === 'embedded') await deployment.stop(); // PGlite belongs to one process at a time
        await seedHistory(mode, dataDir, conversationId, alice.userId, count);
        const seedSeconds = (performance.now() - seedStarted) / 1000;
        if (mode === 'embedded') deployment = await startDeployment({ mode, roles: 'api', dataDir });
        const probe: ProbeResult = await latencyProbe({ url: deployment.url, token: alice.token, cases: cases(count, conversationId), requests, warmup: 10 });
        data[mode] = { count, seedSeconds, probe };
        for (const [name, result] of Object.entries(probe)) {
          rows.push([mode, name, result.p50, result.p99, result.mean, result.status === 200 ? result.items : `HTTP ${result.status}`]);
        }
      } finally {
        await deployment.stop();
        await deployment.removeState();
      }
    }
    return {
      columns: ['mode', 'page', 'p50 ms', 'p99 ms', 'mean ms', 'messages on the page'],
      rows,
      notes: [
        `One conversation of ${count.toLocaleString('en-US')} messages (seeded in the database, then VACUUM ANALYZE), pages of ${LIMIT}; ` +
          `bench/load/latency-probe.ts in its own process sends ${requests} requests per page, one at a time, after 10 unmeasured.`,
        'Offset paging reads and skips every row before the page; the seq cursor goes straight to it through the (conversation_id, seq) index.',
      ],
      data,
    };
  },
};

/**
 * Sequential GETs over one keep-alive connection, in its own process: the latency of one request at a time,
 * at microsecond resolution. Reads its task as JSON on stdin, prints one JSON result line.
 */
import http from 'node:http';
import { readInput } from '../support/child.ts';
import { percentiles, round } from '../support/stats.ts';

export interface ProbeInput {
  url: string;
  token: string;
  /** Each case is a path; it is requested `warmup` times unmeasured, then `requests` times. */
  cases: Array<{ name: string; path: string }>;
  requests: number;
  warmup: number;
}

export type ProbeResult = Record<string, { p50: number; p99: number; mean: number; status: number; items: number }>;

const input = await readInput<ProbeInput>();
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function get(path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.get(new URL(path, input.url), { agent, headers: { authorization: `Bearer ${input.token}` } }, (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    request.on('error', reject);
  });
}

const output: ProbeResult = {};
for (const { name, path } of input.cases) {
  for (let i = 0; i < input.warmup; i++) await get(path);
  const times: number[] = [];
  let last = { status: 0, body: '' };
  for (let i = 0; i < input.requests; i++) {
    const started = performance.now();
    last = await get(path);
    times.push(performance.now() - started);
  }
  const [p50, p99] = percentiles(times, [50, 99]);
  const items = last.status === 200 ? ((JSON.parse(last.body) as { messages?: unknown[] }).messages?.length ?? 0) : 0;
  output[name] = { p50: round(p50!), p99: round(p99!), mean: round(times.reduce((a, b) => a + b, 0) / times.length), status: last.status, items };
}
process.stdout.write(`${JSON.stringify(output)}\n`);
agent.destroy();

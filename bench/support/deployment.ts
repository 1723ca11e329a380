import { existsSync, rmSync } from 'node:fs';
import { cp, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { SERVICE_VARIABLES } from '../../test/support/hub-child.ts';
import { HubProcess } from '../../test/support/hub-process.ts';
import type { TestMode } from '../../test/support/test-modes.ts';
import { BenchChild } from './child.ts';
import { pidsNamed, type CpuGroups } from './cpu.ts';

/** `--hub DIR` (BENCH_HUB_ROOT) benchmarks another checkout of the hub, e.g. an older commit, for before/after figures. */
const hubRoot = () => process.env.BENCH_HUB_ROOT ?? fileURLToPath(new URL('../..', import.meta.url));
const cli = () => path.join(hubRoot(), 'src/cli.ts');

let template: Promise<string | null> | undefined;

/**
 * A freshly initialised embedded cluster, made once per run by the benchmarked hub's own initdb (its runInitdb,
 * as the test suite's template) and copied into each embedded deployment's data dir: PGlite's initdb takes 6-10 s
 * of CPU, and a run starts a dozen embedded deployments. What the hub does after initdb (migrations, demo users)
 * still runs in each. Null where the hub has no runInitdb: each first start then runs initdb itself.
 */
function embeddedTemplate(): Promise<string | null> {
  template ??= (async () => {
    const module = path.join(hubRoot(), 'src/adapters/sql/pglite/pglite-cluster.ts');
    if (!existsSync(module)) return null;
    const { runInitdb } = (await import(pathToFileURL(module).href)) as { runInitdb?: (dir: string) => Promise<void> };
    if (typeof runInitdb !== 'function') return null;
    const dir = await mkdtemp(path.join(tmpdir(), 'chat4all-bench-template-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    await runInitdb(path.join(dir, 'pglite'));
    return path.join(dir, 'pglite');
  })();
  return template;
}

/** The line each role prints once it runs (the API's carries its address). */
const READY: Record<string, RegExp> = {
  start: /listening on (http:\/\/\S+)/,
  api: /listening on (http:\/\/\S+)/,
  relay: /Outbox relay started/,
  router: /Message router started/,
  notifier: /Notifier started/,
  webhooks: /Webhook dispatcher started/,
  cleanup: /Upload cleanup started/,
  connector: /mock connector started/,
};

/**
 * `all` is what a deployment runs: in embedded mode one process with every role (`npm start`); in distributed
 * mode one process per role (api, relay, router, notifier, webhooks, a connector per default channel, cleanup), as
 * docker-compose.yml does. `one-process` runs every role in one process
 * in both modes (`npm start` with DATABASE_URL and KAFKA_BOOTSTRAP_SERVERS). `api` is the REST API alone.
 */
export type Roles = 'api' | 'all' | 'one-process';

export interface DeploymentOptions {
  mode: TestMode;
  roles: Roles;
  /** Reuse the state of an earlier deployment (made with `freshState`). */
  dataDir?: string;
  env?: Record<string, string>;
  /** Embedded: let the first start run initdb itself instead of copying the run's template cluster (start-up is measured). */
  ownInitdb?: boolean;
}

export interface Deployment {
  url: string;
  mode: TestMode;
  dataDir: string;
  /** CPU groups for cpuMeter: the hub's processes, PostgreSQL, Kafka. */
  cpuGroups: CpuGroups;
  /** Each hub process's output (bench/support/hub-logs.ts reads the delivery lines and statement counts there). */
  logFiles: string[];
  /** Stops every process (API first); the state stays until `removeState`. */
  stop(): Promise<void>;
  removeState(): Promise<void>;
}

export const freshState = () => mkdtemp(path.join(tmpdir(), 'chat4all-bench-'));

/** A quota no bench load reaches: the limits still count every request (their cost is measured) but refuse none. */
const UNREACHED = '100000000/1m';

/**
 * Production-like settings: info logs, the default bcrypt cost, demo users on (they are the load's senders), rate
 * limits on but raised past what 5 senders at full speed send (the rate-limits section compares with them off).
 */
const BENCH_SETTINGS = {
  LOG_LEVEL: 'info',
  CHAT4ALL_DEMO_USERS: 'true',
  HOST: '127.0.0.1',
  CHAT4ALL_RATE_LIMIT_LOGIN_ADDRESS: UNREACHED,
  CHAT4ALL_RATE_LIMIT_LOGIN_USERNAME: UNREACHED,
  CHAT4ALL_RATE_LIMIT_SENDS: UNREACHED,
  CHAT4ALL_RATE_LIMIT_UPLOADS: UNREACHED,
  CHAT4ALL_RATE_LIMIT_CHUNKS: UNREACHED,
  CHAT4ALL_RATE_LIMIT_WEBHOOKS: UNREACHED,
};

export async function startDeployment(options: DeploymentOptions): Promise<Deployment> {
  const dataDir = options.dataDir ?? (await freshState());
  if (options.mode === 'embedded' && !options.ownInitdb && !existsSync(path.join(dataDir, 'pglite'))) {
    const cluster = await embeddedTemplate();
    if (cluster) await cp(cluster, path.join(dataDir, 'pglite'), { recursive: true });
  }
  // What points a hub at shared services comes from stateEnv alone: an S3_ENDPOINT inherited from the shell
  // would give embedded deployments S3 storage too.
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !SERVICE_VARIABLES.test(name)));
  const env: NodeJS.ProcessEnv = {
    ...inherited,
    ...BENCH_SETTINGS,
    ...(await HubProcess.stateEnv(dataDir, options.mode)),
    ...(process.env.BENCH_HUB_ENV ? (JSON.parse(process.env.BENCH_HUB_ENV) as Record<string, string>) : {}),
    ...options.env,
  };
  // `npm run bench -- --profile DIR`: every hub process writes a CPU profile there when it stops.
  if (process.env.BENCH_PROFILE_DIR) env.NODE_OPTIONS = `--cpu-prof --cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`;
  const commands =
    options.roles === 'api'
      ? [['api']]
      : options.mode === 'embedded' || options.roles === 'one-process'
        ? [['start']]
        : [['api'], ['relay'], ['router'], ['notifier'], ['webhooks'], ['connector', 'whatsapp'], ['connector', 'instagram'], ['cleanup']];
  const children: BenchChild[] = [];
  let url = '';
  const start = async (args: string[]) => {
    const { child, match } = await BenchChild.start(
      `${options.mode}-${args.join('-')}`,
      [process.execPath, cli(), ...args],
      { ...env, PORT: args[0] === 'api' || args[0] === 'start' ? '0' : '' },
      READY[args[0]!]!,
    );
    children.push(child);
    if (match[1]) url = match[1];
  };
  try {
    // The API first: it migrates the database and seeds the users the other roles and the load rely on. The
    // others then start together (one after the other took some 8 s more on 2 cores).
    const [first, ...rest] = commands;
    await start(first!);
    const started = await Promise.allSettled(rest.map(start));
    const failed = started.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
  } catch (error) {
    await Promise.all(children.map((child) => child.stop('SIGKILL')));
    throw error;
  }
  // Stopped in the order a deployment lists them: the API first.
  const order = commands.map((args) => `${options.mode}-${args.join('-')}`);
  children.sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));
  return {
    url,
    mode: options.mode,
    dataDir,
    logFiles: children.map((child) => child.logFile),
    cpuGroups: {
      hub: () => children.map((child) => child.pid),
      ...(options.mode === 'distributed' ? { postgres: () => pidsNamed(/^postgres$/), kafka: kafkaPids } : {}),
    },
    async stop() {
      for (const child of children) await child.stop();
    },
    removeState: () => HubProcess.removeState(dataDir, options.mode),
  };
}

/** The broker's JVM (its main thread is named java). */
export function kafkaPids(): number[] {
  return pidsNamed(/^java$/);
}

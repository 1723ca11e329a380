import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import packageJson from '../package.json' with { type: 'json' };
import { pingKafka } from './adapters/kafka/kafka-probe.ts';
import { DEMO_PASSWORD, DEMO_USERNAMES } from './app/register-user.ts';
import { parseCommandLine, usage, UsageError, type CommandName } from './command-line.ts';
import { ConfigError, loadConfig, type Config } from './config.ts';
import { DomainError } from './domain/errors.ts';
import type { Hub, RoleName } from './main.ts';
import type { RunningRole } from './roles/role.ts';
import { startupFailure } from './startup-failures.ts';

const SHUTDOWN_TIMEOUT_MS = 20_000;
/** The readiness probe's own bound: an answer takes milliseconds, a silent host no longer than this. */
const KAFKA_PROBE_TIMEOUT_MS = 1_500;
/**
 * npm passes the SIGINT of a Ctrl+C on to its script, which the terminal sent it too: one keypress, two signals,
 * milliseconds apart. A second Ctrl+C, to stop at once, comes later than this.
 */
const SAME_SIGNAL_MS = 1_000;

/** Lines for people (banner, the seed's delivery lines) go to stdout as plain text, beside the JSON logs. */
const print = (line: string) => process.stdout.write(`${line}\n`);
/**
 * Settings that work but should not, and what the hub did about them: on stderr, where they stand out. Not
 * prefixed "chat4all: ", which marks the error a command exits with.
 */
const warn = (line: string) => process.stderr.write(`WARNING: ${line}\n`);

/** A failure the command explains in one line, fix included: printed without a stack trace. */
class CommandFailure extends Error {}

type Options = Record<string, string | undefined>;
/** Each command either runs roles until stopped, or opens the hub, does one thing, and exits. */
type Command = { roles: (args: string[], config: Config) => Starter[] } | { once: (hub: Hub, args: string[], options: Options) => Promise<void> };

const commands: Record<CommandName, Command> = {
  start: { roles: () => ['api', 'relay', 'router', 'notifier', 'webhooks', 'connector:*', 'cleanup'] },
  api: { roles: () => ['api'] },
  relay: { roles: () => ['relay'] },
  router: { roles: () => ['router'] },
  notifier: { roles: () => ['notifier'] },
  webhooks: { roles: () => ['webhooks'] },
  cleanup: { roles: () => ['cleanup'] },
  connector: {
    roles: ([channel], { channels }) => {
      if (!channels.includes(channel!)) throw unknownChannel(channels, channel!);
      return [`connector:${channel}`];
    },
  },
  'dead-letters replay': { once: replayDeadLetters },
  'user add': { once: addUser },
  'user disable': {
    once: async (hub, [username]) => {
      await hub.userAdmin.disable(await hub.userAdmin.idOf(username!));
      print(`Disabled user ${username}: every session of theirs is ended`);
    },
  },
  'user enable': {
    once: async (hub, [username]) => {
      await hub.userAdmin.enable(await hub.userAdmin.idOf(username!));
      print(`Enabled user ${username}`);
    },
  },
  'client add': { once: addClient },
  'client list': {
    once: async (hub) => {
      for (const client of await hub.clients.list()) {
        const user = client.username ? ` user=${client.username}` : '';
        print(`${client.clientId}  ${client.active ? 'active  ' : 'disabled'}  scopes=${client.scopes.join(',')}${user}  ${client.name}`);
      }
    },
  },
  'client disable': {
    once: async (hub, [clientId]) => {
      const client = await hub.clients.disable(clientId!);
      print(`Disabled client "${client.name}" (${client.clientId}): its sessions are ended`);
    },
  },
};

async function main(argv: string[]): Promise<void> {
  const invocation = parseCommandLine(argv);
  if (invocation.kind !== 'run') {
    print(invocation.kind === 'help' ? invocation.text : packageJson.version);
    return;
  }
  // Everything the hub writes (the embedded database, uploaded files, its lock) is its user's alone.
  process.umask(0o077);
  const config = loadConfig();
  // Before anything else, so they are seen whatever the command.
  for (const warning of config.warnings) warn(warning);
  try {
    await run(commands[invocation.command], invocation.args, invocation.options, config);
  } catch (error) {
    const line = startupFailure(error, config);
    throw line === undefined ? error : new CommandFailure(line, { cause: error });
  }
}

async function run(command: Command, args: string[], options: Options, config: Config): Promise<void> {
  // Loaded only for a command that opens the hub (some 0.8 s of modules): help and --version answer without them.
  const [{ openHub }, { createLogger }] = await Promise.all([import('./main.ts'), import('./adapters/pino-logger.ts')]);
  const log = createLogger(config.logLevel);
  if ('once' in command) {
    const hub = await openHub(config, log, print);
    try {
      return await command.once(hub, args, options);
    } finally {
      await hub.close();
    }
  }
  const starters = command.roles(args, config);
  const hub = await openHub(config, log, print);
  print(`Chat4All API Hub: ${hub.mode}`);
  if (config.kafkaBootstrapServers) await warnIfUnreachable(config.kafkaBootstrapServers);
  const roles: RunningRole[] = [];
  const shutdown = stopOnSignal(hub, roles);
  try {
    if (starters.includes('api') && config.demoUsers) await seedDemoUsers(hub);
    if (starters.includes('api') && config.production) await disableDemoUsers(hub);
    for (const start of starters) roles.push(await startRole(hub, start));
  } catch (error) {
    await shutdown('startup failure');
    throw error;
  }
  print(`Running: ${roles.map((role) => role.name).join(', ')}. Stop with Ctrl+C.`);
}

/**
 * Roles wait for a Kafka that is not up yet (it may be starting beside them), logging each retry: one line first
 * says what they wait for, and where to look if it is not coming.
 */
async function warnIfUnreachable(servers: string[]): Promise<void> {
  await pingKafka(servers, KAFKA_PROBE_TIMEOUT_MS).catch((error: unknown) => {
    const reasons = error instanceof AggregateError ? error.errors.map((each: unknown) => (each instanceof Error ? each.message : String(each))) : [String(error)];
    warn(`Kafka at ${servers.join(',')} (KAFKA_BOOTSTRAP_SERVERS) is unreachable (${reasons.join('; ')}): the roles that use it wait for it`);
  });
}

/** `connector:*` stands for every channel's connector. */
type Starter = RoleName | 'connector:*';

async function startRole(hub: Hub, starter: Starter): Promise<RunningRole> {
  if (starter !== 'connector:*') return hub.start(starter);
  const connectors = await Promise.all(hub.channels.map((name) => hub.start(`connector:${name}`)));
  return {
    name: connectors.map((connector) => connector.name).join(', '),
    stop: async () => void (await Promise.all(connectors.map((connector) => connector.stop()))),
  };
}

async function seedDemoUsers(hub: Hub): Promise<void> {
  const created = await hub.registerUser.seedDemoUsers();
  const note = created.length > 0 ? `created now: ${created.join(', ')}` : 'already present';
  print(`Demo users ${DEMO_USERNAMES.join(', ')} with password "${DEMO_PASSWORD}" (${note}).`);
  print('  Turn demo users off with NODE_ENV=production or CHAT4ALL_DEMO_USERS=false.');
}

async function disableDemoUsers(hub: Hub): Promise<void> {
  const disabled = await hub.disableDemoUsers.disable();
  if (disabled.length === 0) return;
  warn(
    `disabled demo users ${disabled.join(', ')}: their password "${DEMO_PASSWORD}" is published, and NODE_ENV=production ` +
      'never lets them log in. Their data stays; create real users with: chat4all user add <username>',
  );
}

/** Stops roles in order (API first, so nothing new comes in), then closes the bus and the store. */
function stopOnSignal(hub: Hub, roles: RunningRole[]): (reason: string) => Promise<void> {
  let stopping: Promise<void> | undefined;
  const shutdown = (reason: string) =>
    (stopping ??= (async () => {
      hub.log.info({ reason }, 'shutting down');
      for (const role of roles) await role.stop().catch((error: unknown) => hub.log.error({ err: error }, `stopping ${role.name} failed`));
      await hub.close();
      hub.log.info({}, 'stopped');
    })());
  let signalledAt = -Infinity;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      const now = performance.now();
      if (now - signalledAt < SAME_SIGNAL_MS) return;
      // A second Ctrl+C, or a signal during a failed start's shutdown: stop at once.
      if (stopping) process.exit(130);
      signalledAt = now;
      // Work that cannot finish (e.g. a broker that stays away) must not keep the process alive: what was not
      // acknowledged is redelivered to the next consumer, so leaving is safe.
      setTimeout(() => {
        hub.log.error({ timeoutMs: SHUTDOWN_TIMEOUT_MS }, 'graceful shutdown timed out; exiting');
        process.exit(1);
      }, SHUTDOWN_TIMEOUT_MS).unref();
      void shutdown(signal).then(() => process.exit(0));
    });
  }
  return shutdown;
}

async function addUser(hub: Hub, [username]: string[], { password: given }: Options): Promise<void> {
  const password = given ?? (process.stdin.isTTY ? await readTypedPassword() : await readStdinLine());
  if (!password) throw new UsageError('give a password with --password or on stdin', usage('user add'));
  const user = await hub.registerUser.register(username!, password);
  print(`Created user ${user.username} with id ${user.userId}`);
}

async function addClient(hub: Hub, [name]: string[], { scopes, user: username }: Options): Promise<void> {
  const scopeList = scopes!.split(',').map((scope) => scope.trim()).filter(Boolean);
  const { client, secret } = await hub.clients.add({ name: name!, scopes: scopeList, ...(username === undefined ? {} : { username }) });
  print(`Created client "${client.name}" with scopes ${client.scopes.join(',')}${client.username ? `, acting as ${client.username}` : ''}`);
  print(`client_id:     ${client.clientId}`);
  print(`client_secret: ${secret}`);
  print('Keep the secret now: it is stored hashed and cannot be shown again.');
}

/** Drains the channel's dead-letter topic into its outgoing topic (the replay role); stops once nothing came for a while. */
async function replayDeadLetters(hub: Hub, [channel]: string[]): Promise<void> {
  if (!hub.channels.includes(channel!)) throw unknownChannel(hub.channels, channel!);
  const replay = await hub.replay(channel!);
  const { replayed, skipped } = await replay.done;
  print(`Replayed ${replayed} dead-lettered ${channel} deliveries.${skipped > 0 ? ` Skipped ${skipped} records that were no dead letters.` : ''}`);
}

function unknownChannel(channels: readonly string[], channel: string): CommandFailure {
  return new CommandFailure(`unknown channel "${channel}": this hub runs ${channels.join(', ')} (CHAT4ALL_CHANNELS)`);
}

async function readStdinLine(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) {
    text += String(chunk);
    if (text.includes('\n')) break;
  }
  return text.split('\n')[0]!.trim();
}

/**
 * A password typed at a terminal, not shown as it is typed: readline puts the terminal in raw mode (no echo) and
 * does the line editing, writing what it would echo to a sink.
 */
async function readTypedPassword(): Promise<string> {
  const nowhere = new Writable({ write: (_chunk, _encoding, done) => done() });
  const terminal = createInterface({ input: process.stdin, output: nowhere, terminal: true });
  // Only now that the terminal echoes nothing: a quick typist may answer the prompt at once.
  process.stderr.write('Password: ');
  try {
    return await new Promise<string>((resolve) => {
      terminal.once('line', (line) => resolve(line.trim()));
      // Ctrl+D or Ctrl+C: no password, which the caller refuses.
      terminal.once('close', () => resolve(''));
      terminal.once('SIGINT', () => resolve(''));
    });
  } finally {
    terminal.close();
    process.stderr.write('\n');
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof UsageError) {
    process.stderr.write(`chat4all: ${error.message}\n\n${error.usage}\n`);
    process.exit(2);
  }
  const explained = error instanceof CommandFailure || error instanceof ConfigError || error instanceof DomainError;
  process.stderr.write(`chat4all: ${explained ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});

import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { createLogger } from './adapters/pino-logger.ts';
import { DEMO_PASSWORD, DEMO_USERNAMES } from './app/register-user.ts';
import { ConfigError, loadConfig } from './config.ts';
import { DomainError } from './domain/errors.ts';
import { openHub, type Hub, type RoleName } from './main.ts';
import type { RunningRole } from './roles/role.ts';

const USAGE = `Usage: chat4all <command>

  start                     every role in one process (what npm start runs)
  api                       the REST API
  relay                     the outbox relay (outbox -> bus)
  router                    the message router (message_processing -> <channel>_outgoing)
  notifier                  hub_events -> users' event feeds (WebSocket push, store-and-forward)
  webhooks                  the webhook dispatcher (signed POSTs to client apps, retries, dead letters)
  connector <channel>       one channel connector, e.g. whatsapp or instagram
  dead-letters replay <channel>
                            send the channel's dead-lettered deliveries again, then exit
  cleanup                   aborts uploads not completed in time (CHAT4ALL_UPLOAD_MAX_AGE_SECONDS)
  user add <username> [--password <password>]
                            create a user (the password is read from stdin when not given)
  user disable <username>   the user can no longer sign in; every session of theirs ends at once
  user enable <username>    lets a disabled user sign in again
  client add <name> --scopes <admin,chat> [--user <username>]
                            a server-to-server client (OAuth client credentials); prints its secret, once.
                            chat acts as --user; admin is the admin API (/v1/admin)
  client list               every client, without secrets
  client disable <client_id>
                            refuses its credentials and ends its sessions at once

Configuration comes from environment variables; see README.md.`;

const SHUTDOWN_TIMEOUT_MS = 20_000;

/** Lines for people (banner, the seed's delivery lines) go to stdout as plain text, beside the JSON logs. */
const print = (line: string) => process.stdout.write(`${line}\n`);
/**
 * Settings that work but should not, and what the hub did about them: on stderr, where they stand out. Not
 * prefixed "chat4all: ", which marks the error a command exits with.
 */
const warn = (line: string) => process.stderr.write(`WARNING: ${line}\n`);

async function main(argv: string[]): Promise<void> {
  const [command, ...args] = argv;
  if (!command || command === 'help' || command === '--help') {
    print(USAGE);
    return;
  }
  // Everything the hub writes (the embedded database, uploaded files, its lock) is its user's alone.
  process.umask(0o077);
  const config = loadConfig();
  // Before anything else, so they are seen whatever the command.
  for (const warning of config.warnings) warn(warning);
  const log = createLogger(config.logLevel);
  if (command === 'user') return userCommand(await openHub(config, log, print), args);
  if (command === 'client') return clientCommand(await openHub(config, log, print), args);
  if (command === 'dead-letters') return replayDeadLetters(await openHub(config, log, print), args);
  const starters = rolesFor(command, args);
  const hub = await openHub(config, log, print);
  print(`Chat4All API Hub: ${hub.mode}`);
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

/** `connector:*` stands for every channel's connector. */
type Starter = RoleName | 'connector:*';

function rolesFor(command: string, args: string[]): Starter[] {
  switch (command) {
    case 'start':
      return ['api', 'relay', 'router', 'notifier', 'webhooks', 'connector:*', 'cleanup'];
    case 'api':
    case 'relay':
    case 'router':
    case 'notifier':
    case 'webhooks':
    case 'cleanup':
      return [command];
    case 'connector':
      if (!args[0]) throw new UsageError('connector needs a channel name, e.g. chat4all connector whatsapp');
      return [`connector:${args[0]}`];
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

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
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) process.exit(130);
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

async function userCommand(hub: Hub, args: string[]): Promise<void> {
  try {
    const [action, username] = args;
    if (!username) throw new UsageError('usage: chat4all user add|disable|enable <username>');
    switch (action) {
      case 'add': {
        const flag = args.indexOf('--password');
        const password = flag >= 0 ? args[flag + 1] : process.stdin.isTTY ? await readTypedPassword() : await readStdinLine();
        if (!password) throw new UsageError('give a password with --password or on stdin');
        const user = await hub.registerUser.register(username, password);
        print(`Created user ${user.username} with id ${user.userId}`);
        return;
      }
      case 'disable':
        await hub.userAdmin.disable(await hub.userAdmin.idOf(username));
        print(`Disabled user ${username}: every session of theirs is ended`);
        return;
      case 'enable':
        await hub.userAdmin.enable(await hub.userAdmin.idOf(username));
        print(`Enabled user ${username}`);
        return;
      default:
        throw new UsageError('usage: chat4all user add|disable|enable <username>');
    }
  } finally {
    await hub.close();
  }
}

async function clientCommand(hub: Hub, args: string[]): Promise<void> {
  const usage = 'usage: chat4all client add <name> --scopes <admin,chat> [--user <username>] | client list | client disable <client_id>';
  try {
    const [action, subject] = args;
    const option = (name: string) => {
      const at = args.indexOf(name);
      return at >= 0 ? args[at + 1] : undefined;
    };
    if (action === 'add' && subject && option('--scopes')) {
      const username = option('--user');
      const scopes = option('--scopes')!.split(',').map((scope) => scope.trim()).filter(Boolean);
      const { client, secret } = await hub.clients.add({ name: subject, scopes, ...(username === undefined ? {} : { username }) });
      print(`Created client "${client.name}" with scopes ${client.scopes.join(',')}${client.username ? `, acting as ${client.username}` : ''}`);
      print(`client_id:     ${client.clientId}`);
      print(`client_secret: ${secret}`);
      print('Keep the secret now: it is stored hashed and cannot be shown again.');
    } else if (action === 'list') {
      for (const client of await hub.clients.list()) {
        const user = client.username ? ` user=${client.username}` : '';
        print(`${client.clientId}  ${client.active ? 'active  ' : 'disabled'}  scopes=${client.scopes.join(',')}${user}  ${client.name}`);
      }
    } else if (action === 'disable' && subject) {
      const client = await hub.clients.disable(subject);
      print(`Disabled client "${client.name}" (${client.clientId}): its sessions are ended`);
    } else {
      throw new UsageError(usage);
    }
  } finally {
    await hub.close();
  }
}

/** Drains the channel's dead-letter topic into its outgoing topic (the replay role); stops once nothing came for a while. */
async function replayDeadLetters(hub: Hub, args: string[]): Promise<void> {
  try {
    const [action, channel] = args;
    if (action !== 'replay' || !channel) throw new UsageError('usage: chat4all dead-letters replay <channel>');
    if (!hub.channels.includes(channel)) throw new UsageError(`unknown channel "${channel}"`);
    const replay = await hub.replay(channel);
    const { replayed, skipped } = await replay.done;
    print(`Replayed ${replayed} dead-lettered ${channel} deliveries.${skipped > 0 ? ` Skipped ${skipped} records that were no dead letters.` : ''}`);
  } finally {
    await hub.close();
  }
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

class UsageError extends Error {}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof UsageError || error instanceof ConfigError || error instanceof DomainError) {
    process.stderr.write(`chat4all: ${error.message}\n${error instanceof UsageError ? `\n${USAGE}\n` : ''}`);
  } else {
    process.stderr.write(`chat4all: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  }
  process.exit(error instanceof UsageError ? 2 : 1);
});

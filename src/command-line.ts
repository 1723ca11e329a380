import { parseArgs } from 'node:util';

/**
 * What `chat4all` accepts: its commands, their arguments and options, and their usage texts. Parsing loads nothing
 * else, so `--help` and `--version` answer without reading the configuration or opening the database.
 */

/** An option that takes a value, shown as `--name <value>`. */
interface OptionSpec {
  value: string;
  required?: boolean;
  about: string;
}

interface CommandSpec {
  /** The words that name it, e.g. `user add`. */
  name: string;
  /** Positional arguments, each required. */
  args?: readonly string[];
  options?: Readonly<Record<string, OptionSpec>>;
  /** Lines after the first continue it. */
  about: string;
}

const COMMANDS = [
  { name: 'start', about: 'every role in one process (what npm start runs)' },
  { name: 'api', about: 'the REST API' },
  { name: 'relay', about: 'the outbox relay (outbox -> bus)' },
  { name: 'router', about: 'the message router (message_processing -> <channel>_outgoing)' },
  { name: 'notifier', about: "hub_events -> users' event feeds (WebSocket push, store-and-forward)" },
  { name: 'webhooks', about: 'the webhook dispatcher (signed POSTs to client apps, retries, dead letters)' },
  { name: 'connector', args: ['channel'], about: 'one channel connector, e.g. whatsapp or instagram' },
  { name: 'dead-letters replay', args: ['channel'], about: "send the channel's dead-lettered deliveries again, then exit" },
  { name: 'cleanup', about: 'aborts uploads not completed in time (CHAT4ALL_UPLOAD_MAX_AGE_SECONDS)' },
  {
    name: 'user add',
    args: ['username'],
    options: { password: { value: 'password', about: 'read from stdin when not given; asked for, unechoed, at a terminal' } },
    about: 'create a user (the password is read from stdin when not given)',
  },
  { name: 'user disable', args: ['username'], about: 'the user can no longer sign in; every session of theirs ends at once' },
  { name: 'user enable', args: ['username'], about: 'lets a disabled user sign in again' },
  {
    name: 'client add',
    args: ['name'],
    options: {
      scopes: { value: 'admin,chat', required: true, about: 'comma-separated: chat, admin, or both' },
      user: { value: 'username', about: 'the user a chat client acts as' },
    },
    about: 'a server-to-server client (OAuth client credentials); prints its secret, once.\nchat acts as --user; admin is the admin API (/v1/admin)',
  },
  { name: 'client list', about: 'every client, without secrets' },
  { name: 'client disable', args: ['client_id'], about: 'refuses its credentials and ends its sessions at once' },
] as const satisfies readonly CommandSpec[];

export type CommandName = (typeof COMMANDS)[number]['name'];

export type Invocation =
  | { kind: 'help'; text: string }
  | { kind: 'version' }
  | { kind: 'run'; command: CommandName; args: string[]; options: Record<string, string | undefined> };

/** A command line chat4all does not accept: the message says what is wrong, `usage` how to write it. */
export class UsageError extends Error {
  readonly usage: string;

  constructor(message: string, usage: string) {
    super(message);
    this.usage = usage;
  }
}

const HELP = { type: 'boolean', short: 'h' } as const;
const VERSION = { type: 'boolean', short: 'v' } as const;
const CONFIGURATION = 'Configuration comes from environment variables; see README.md.';
/** Synopses this long or longer put their description on the next line. */
const COLUMN = 26;

const specs: readonly CommandSpec[] = COMMANDS;
/** Words that only group commands: `user`, `client`, `dead-letters`. */
const groups = new Set(specs.filter((spec) => spec.name.includes(' ')).map((spec) => spec.name.split(' ')[0]!));

export function parseCommandLine(argv: readonly string[]): Invocation {
  const [first, ...rest] = argv;
  if (first === undefined) return { kind: 'help', text: overview() };
  if (first === 'help') return { kind: 'help', text: helpFor(rest) };
  if (first.startsWith('-')) return globalOptions(argv);
  if (!groups.has(first)) {
    const spec = specNamed(first);
    if (!spec) throw new UsageError(`unknown command "${first}"`, overview());
    return invocationOf(spec, rest);
  }
  const [second, ...words] = rest;
  const spec = specNamed(`${first} ${second}`);
  return spec ? invocationOf(spec, words) : groupHelp(first, rest);
}

const specNamed = (name: string) => specs.find((spec) => spec.name === name);

/** `chat4all --version`, `chat4all --help [command]`. */
function globalOptions(argv: readonly string[]): Invocation {
  const { values, positionals } = parse(argv, { help: HELP, version: VERSION }, overview());
  if (values.help) return { kind: 'help', text: helpFor(positionals) };
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`, overview());
  return { kind: 'version' };
}

/** `chat4all user --help`, or a group without a command it has. */
function groupHelp(group: string, words: readonly string[]): Invocation {
  const usage = groupUsage(group);
  const [word] = words;
  if (word !== undefined && !word.startsWith('-')) throw new UsageError(`unknown command "${group} ${word}"`, usage);
  if (parse(words, { help: HELP }, usage).values.help) return { kind: 'help', text: usage };
  throw new UsageError(`${group} needs a command: ${subcommands(group).join(', ')}`, usage);
}

function invocationOf(spec: CommandSpec, words: readonly string[]): Invocation {
  const usage = usageOf(spec);
  const declared = spec.options ?? {};
  const options = Object.fromEntries(Object.keys(declared).map((name) => [name, { type: 'string' } as const]));
  const { values, positionals } = parse(words, { ...options, help: HELP }, usage);
  if (values.help) return { kind: 'help', text: usage };
  const wanted = spec.args ?? [];
  const missing = wanted[positionals.length];
  if (missing !== undefined) throw new UsageError(`${spec.name} needs <${missing}>`, usage);
  const extra = positionals[wanted.length];
  if (extra !== undefined) throw new UsageError(`unexpected argument "${extra}"`, usage);
  for (const [name, option] of Object.entries(declared)) {
    if (option.required && values[name] === undefined) throw new UsageError(`${spec.name} needs --${name} <${option.value}>`, usage);
  }
  const given = Object.fromEntries(Object.keys(declared).map((name) => [name, values[name] as string | undefined]));
  return { kind: 'run', command: spec.name as CommandName, args: positionals, options: given };
}

/** `chat4all help [command]`: the usage of the command or group it names. */
function helpFor(words: readonly string[]): string {
  if (words.length === 0) return overview();
  if (words.length === 1 && groups.has(words[0]!)) return groupUsage(words[0]!);
  const spec = specNamed(words.join(' '));
  if (!spec) throw new UsageError(`unknown command "${words.join(' ')}"`, overview());
  return usageOf(spec);
}

/**
 * node:util's parser, with chat4all's own messages: each names the option. A value that starts with "-" is taken
 * for a forgotten one (`--password --help`) unless written `--password=-x`.
 */
function parse(
  args: readonly string[],
  options: Record<string, { type: 'string' | 'boolean'; short?: string }>,
  usage: string,
): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  const { values, positionals, tokens } = parseArgs({ args: [...args], options, strict: false, allowPositionals: true, tokens: true });
  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    const type = Object.hasOwn(options, token.name) ? options[token.name]!.type : undefined;
    if (type === undefined) throw new UsageError(`unknown option ${token.rawName}`, usage);
    if (type === 'boolean' && token.value !== undefined) throw new UsageError(`${token.rawName} takes no value`, usage);
    if (type === 'string' && (token.value === undefined || (!token.inlineValue && token.value.startsWith('-')))) {
      throw new UsageError(`${token.rawName} needs a value (write ${token.rawName}=<value> for one that starts with "-")`, usage);
    }
  }
  return { values, positionals };
}

function synopsis(spec: CommandSpec): string {
  const args = (spec.args ?? []).map((arg) => ` <${arg}>`).join('');
  const options = Object.entries(spec.options ?? {})
    .map(([name, option]) => (option.required ? ` --${name} <${option.value}>` : ` [--${name} <${option.value}>]`))
    .join('');
  return `${spec.name}${args}${options}`;
}

/** Two columns, as the overview lays out commands: a long synopsis puts its description on the next line. */
function rows(entries: readonly (readonly [string, string])[]): string {
  const indent = ' '.repeat(COLUMN + 2);
  return entries
    .map(([left, about]) => {
      const [head, ...more] = about.split('\n');
      const first = left.length < COLUMN ? `  ${left.padEnd(COLUMN)}${head}` : `  ${left}\n${indent}${head}`;
      return [first, ...more.map((line) => indent + line)].join('\n');
    })
    .join('\n');
}

function overview(): string {
  return [
    'Usage: chat4all <command> [options]',
    '',
    rows(specs.map((spec) => [synopsis(spec), spec.about])),
    '',
    rows([
      ['-h, --help', 'this help; chat4all <command> --help for one command'],
      ['-v, --version', "chat4all's version"],
    ]),
    '',
    CONFIGURATION,
  ].join('\n');
}

function subcommands(group: string): string[] {
  return specs.filter((spec) => spec.name.startsWith(`${group} `)).map((spec) => spec.name.slice(group.length + 1));
}

function groupUsage(group: string): string {
  const members = specs.filter((spec) => spec.name.startsWith(`${group} `));
  return [`Usage: chat4all ${group} <command>`, '', rows(members.map((spec) => [synopsis(spec), spec.about])), '', CONFIGURATION].join('\n');
}

/** How to write `command`, for messages that refuse what was written. */
export function usage(command: CommandName): string {
  return usageOf(specNamed(command)!);
}

function usageOf(spec: CommandSpec): string {
  const options = Object.entries(spec.options ?? {}).map(([name, option]) => [`--${name} <${option.value}>`, option.about] as const);
  return [
    `Usage: chat4all ${synopsis(spec)}`,
    '',
    spec.about.replaceAll('\n', ' '),
    '',
    'Options:',
    rows([...options, ['-h, --help', 'this help']]),
    '',
    CONFIGURATION,
  ].join('\n');
}

import type { ChildProcess } from 'node:child_process';
import { HubChild } from './hub-child.ts';
import { HubProcess } from './hub-process.ts';
import type { TestMode } from './test-modes.ts';

/** The log line each non-API role prints once it is running (at LOG_LEVEL=info). */
const STARTED: Record<string, RegExp> = {
  relay: /Outbox relay started/,
  router: /Message router started/,
  connector: /mock connector started/,
  cleanup: /Upload cleanup started/,
};

export interface RoleOptions {
  /** The role and its arguments, e.g. ['router'] or ['connector', 'whatsapp']. */
  args: string[];
  /** The state it shares with the other processes of the deployment (same database and topic prefix). */
  dataDir: string;
  mode: TestMode;
  /** Extra environment variables; LOG_LEVEL stays info unless given, since the start line is an info line. */
  env?: Record<string, string>;
}

/**
 * One non-API role (relay, router, connector, cleanup) in a child process. HubProcess waits for the API's
 * "listening on" line, which these roles never print; this waits for the role's own start log line instead.
 * It never owns the state: whoever made `dataDir` removes it (HubProcess.removeState).
 */
export class RoleProcess extends HubChild {
  readonly name: string;

  private constructor(name: string, child: ChildProcess, output: { text: string }) {
    super(child, output);
    this.name = name;
  }

  static async start(options: RoleOptions): Promise<RoleProcess> {
    const started = STARTED[options.args[0] ?? ''];
    if (!started) throw new Error(`RoleProcess runs relay, router, connector or cleanup, not "${options.args.join(' ')}"`);
    const env = { ...(await HubProcess.stateEnv(options.dataDir, options.mode)), LOG_LEVEL: 'info', ...options.env };
    const { child, output } = await HubChild.launch(options.args, env, started);
    return new RoleProcess(options.args.join(' '), child, output);
  }
}

/** The `chat4all` command (commands.ts), started with the V8 flags its command needs. */
import { relaunchWithRuntimeFlags } from './runtime-flags.ts';

relaunchWithRuntimeFlags();
await import('./commands.ts');

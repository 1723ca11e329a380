#!/usr/bin/env node
// Runs the TypeScript sources directly: Node 24 strips types natively. An older Node would stop at the import with
// ERR_UNKNOWN_FILE_EXTENSION, so this file stays JavaScript any Node parses, and first says which Node it needs.
import { readFileSync } from 'node:fs';

const { engines } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const range = /^>=(\d+)\.(\d+)\.(\d+) <(\d+)$/.exec(engines.node);
if (!range) throw new Error(`bin/chat4all.js reads engines.node in package.json as ">=X.Y.Z <N", not "${engines.node}"`);
const [major, minor, patch, below] = range.slice(1).map(Number);
const running = process.versions.node.split('.').map(Number);
const older = (running[0] - major || running[1] - minor || running[2] - patch) < 0;
if (older || running[0] >= below) {
  process.stderr.write(
    `chat4all: needs Node.js ${engines.node}, this is ${process.versions.node}. In chat4all's directory, npm start and ` +
      `npm run chat4all -- <command> use the Node ${major} that npm ci installs; or install Node ${major} from https://nodejs.org\n`,
  );
  process.exit(1);
}
await import('../src/cli.ts');

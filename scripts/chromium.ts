/**
 * The browser tests drive Debian's Chromium (test/support/browser.ts). A fresh machine gets it from apt the first
 * time, the way scripts/services.sh gets what it runs; where that cannot happen (not root, no apt), the browser
 * tests are skipped and the returned warning says why.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export function ensureChromium(): string | undefined {
  if (existsSync(CHROMIUM_PATH)) return undefined;
  if (process.getuid?.() !== 0 || spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status !== 0) {
    return `no Chromium at ${CHROMIUM_PATH} and no apt-get as root to install it: the browser tests are skipped`;
  }
  process.stdout.write('Installing Debian\'s chromium for the browser tests (first run on this machine)…\n');
  const install = () => spawnSync('apt-get', ['install', '-y', 'chromium'], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  // A machine whose package lists are stale or empty needs them read first.
  if (install().status !== 0) {
    spawnSync('apt-get', ['update'], { stdio: 'inherit' });
    install();
  }
  return existsSync(CHROMIUM_PATH) ? undefined : `apt-get could not install chromium: the browser tests are skipped`;
}

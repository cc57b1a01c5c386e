/**
 * `npm start` runs this first: it builds the web client only when something it is built from
 * changed since the last build, so a start with nothing new stays quick.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const root = path.join(import.meta.dirname, '..');
const built = path.join(root, 'dist', 'web', 'index.html');

function newestIn(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestIn(full) : statSync(full).mtimeMs);
  }
  return newest;
}

function builtAt(): number {
  try {
    return statSync(built).mtimeMs;
  } catch {
    return 0; // never built, or a build that failed half way (Vite empties dist/web first)
  }
}

// The sources under web/, and the lock file: new dependency versions make a different bundle.
const sources = Math.max(newestIn(path.join(root, 'web')), statSync(path.join(root, 'package-lock.json')).mtimeMs);
if (builtAt() < sources) {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const run = spawnSync(npm, ['run', '--silent', 'build:web'], { cwd: root, stdio: 'inherit' });
  process.exitCode = run.status ?? 1;
}

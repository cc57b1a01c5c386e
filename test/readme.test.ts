import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import sharp from 'sharp';
import { ROOT, cleanUp, runCli, tempDir } from './support/cli.js';
import { serveProcess } from './support/processes.js';

after(cleanUp);

/** The shell blocks of the README between its walkthrough markers, in order: what a reader pastes. */
function walkthrough(): string {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = /<!-- walkthrough:start -->([\s\S]*?)<!-- walkthrough:end -->/.exec(readme)?.[1];
  assert.ok(section, 'README.md has no walkthrough markers');
  const blocks = [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
  assert.ok(blocks.length >= 2, 'the walkthrough lost its blocks');
  return blocks.join('\n');
}

function bash(script: string, cwd: string, input: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-e', '-o', 'pipefail', '-c', script], { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(input);
  });
}

describe('the README', () => {
  it('walks through the course’s flow with curl, as written, from a fresh start', { timeout: 90_000 }, async () => {
    const dir = tempDir();
    const password = 'la-clave-de-ana';
    const made = await runCli(['user', 'create', 'ana', '--admin'], { DATA_DIR: dir }, `${password}\n`);
    assert.equal(made.code, 0, made.stderr);
    const server = await serveProcess({ DATA_DIR: dir });
    try {
      // The reader's files for the media block.
      const work = tempDir();
      copyFileSync(path.join(ROOT, 'test', 'fixtures', 'media', 'poster.jpg'), path.join(work, 'poster.jpg'));
      copyFileSync(path.join(ROOT, 'test', 'fixtures', 'media', 'trailer.mp4'), path.join(work, 'trailer.mp4'));
      const script = walkthrough().replaceAll('http://127.0.0.1:8000', `http://127.0.0.1:${server.port}`);
      const run = await bash(script, work, `${password}\n`);
      assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
      const out = run.stdout;
      // Each step answered as the README says: the student's account, the page with its headers,
      // the edit, the two 204s, the cookie session's (now empty) list.
      assert.match(out, /"username":"alumna"/);
      assert.match(out, /^x-total-count: 1\r?$/im);
      assert.match(out, /"review":"Mejor la segunda vez","score":4/);
      // (curl prints a body without a newline after it, so the answers run together.)
      assert.equal(out.match(/204\n/g)?.length, 2, out);
      assert.match(out, /\[\]204\n/);
      assert.doesNotMatch(out, /"detail"/, 'a step was refused');
      // The media block: a WebP thumbnail 320 wide, and the first KiB of the trailer.
      const thumb = await sharp(path.join(work, 'thumb.webp')).metadata();
      assert.equal(thumb.format, 'webp');
      assert.equal(thumb.width, 320);
      assert.equal(statSync(path.join(work, 'head.bin')).size, 1024);
    } finally {
      await server.stop();
    }
  });
});

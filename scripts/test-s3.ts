/**
 * The S3 half of `npm test`: the media test files again, each app storing its media under a
 * prefix of its own on one S3-compatible server (s3rver, started here on a loopback port over a
 * temporary directory and stopped at the end; see test/s3.ts). Extra arguments replace the list
 * of files (e.g. `npm run test:s3 -- test/media-serve.test.ts`).
 */
import { spawn } from 'node:child_process';
import { startS3Server } from '../test/support/s3.js';

// Files whose tests store media through startApp(). test/s3-store.test.ts starts its own server
// and runs with the SQLite half.
const FILES = ['test/media-upload.test.ts', 'test/media-serve.test.ts', 'test/profiles.test.ts', 'test/authz-matrix.test.ts', 'test/fuzz.test.ts'];

const files = process.argv.length > 2 ? process.argv.slice(2) : FILES;
const server = await startS3Server();
const code = await new Promise<number>((resolve) => {
  const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...files], {
    stdio: 'inherit',
    env: { ...process.env, TEST_MEDIA_STORE: 's3', TEST_S3_ENDPOINT: server.endpoint },
  });
  child.on('exit', (exitCode, signal) => resolve(exitCode ?? (signal ? 1 : 0)));
});
await server.stop();
process.exit(code);

/**
 * The PostgreSQL half of `npm test`: the behaviour test files again, each app on a fresh
 * PostgreSQL database (TEST_DATABASE=postgres, see test/pg.ts). Outside CI, when no server
 * answers within a second, it says so in one line and passes; with CI=true it must run.
 * Extra arguments replace the list of files (e.g. `npm run test:pg -- test/reviews.test.ts`).
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { TEST_POSTGRES_URL, postgresAnswers } from '../test/support/pg.js';

// Every test file runs again on PostgreSQL (in-process ones through startApp(), and those that
// start `butaca` processes, which get a database per DATA_DIR from test/cli-helpers.ts), except
// those that touch no database, or that already run each of their cases on both themselves:
const BOTH_OR_NEITHER = new Set([
  'test/web-client.test.ts', // builds its own app to test static serving; no database
  'test/file-store.test.ts', // the file store alone
  'test/s3-store.test.ts', // the S3 store alone (test:s3 runs the media tests against S3)
  'test/counters.test.ts', // each counter store, PostgreSQL's included
  'test/database-outage.test.ts', // PostgreSQL's and SQLite's outages, each in its own case
  'test/instances.test.ts', // two servers on PostgreSQL, and on one SQLite file
]);
const FILES = [...readdirSync('test').map((f) => `test/${f}`), ...readdirSync('test/e2e').map((f) => `test/e2e/${f}`)]
  .filter((f) => f.endsWith('.test.ts') && !BOTH_OR_NEITHER.has(f))
  .sort();

const ci = process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false' && process.env.CI !== '0';
const where = new URL(TEST_POSTGRES_URL).host;
if (!(await postgresAnswers(1000))) {
  if (ci) {
    process.stderr.write(`test:pg: no PostgreSQL answers at ${where} (TEST_POSTGRES_URL), and CI is set: failing\n`);
    process.exit(1);
  }
  process.stdout.write(`test:pg: skipped, no PostgreSQL answers at ${where} (set TEST_POSTGRES_URL to use another)\n`);
  process.exit(0);
}

const files = process.argv.length > 2 ? process.argv.slice(2) : FILES;
const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...files], {
  stdio: 'inherit',
  env: { ...process.env, TEST_DATABASE: 'postgres' },
});
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));

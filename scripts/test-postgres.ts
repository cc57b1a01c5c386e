/**
 * The PostgreSQL half of `npm test`: the behaviour test files again, each app on a fresh
 * PostgreSQL database (TEST_DATABASE=postgres, see test/pg.ts). Outside CI, when no server
 * answers within a second, it says so in one line and passes; with CI=true it must run.
 * Extra arguments replace the list of files (e.g. `npm run test:pg -- test/reviews.test.ts`).
 */
import { spawn } from 'node:child_process';
import { TEST_POSTGRES_URL, postgresAnswers } from '../test/pg.js';

// The behaviour test files: in-process ones through startApp(), and those that start `butaca`
// processes (cli, cluster, crash, seed, shutdown, https, e2e), which get a database per DATA_DIR
// from test/cli-helpers.ts. Left out: web-client, which builds its own app to test static serving
// and touches no database.
const FILES = [
  'test/auth.test.ts',
  'test/authz-matrix.test.ts',
  'test/cli.test.ts',
  'test/cluster.test.ts',
  'test/course.test.ts',
  'test/crash.test.ts',
  'test/fuzz.test.ts',
  'test/hardening.test.ts',
  'test/http.test.ts',
  'test/https.test.ts',
  'test/media-serve.test.ts',
  'test/media-upload.test.ts',
  'test/movies.test.ts',
  'test/read-cache.test.ts',
  'test/reviews.test.ts',
  'test/seed.test.ts',
  'test/shutdown.test.ts',
  'test/smoke.test.ts',
  'test/e2e/admin.test.ts',
  'test/e2e/browse.test.ts',
  'test/e2e/harness.test.ts',
  'test/e2e/journey.test.ts',
];

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

import cluster from 'node:cluster';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ConfigError, type Config, loadConfig, loadDotEnv } from '../config.js';
import { connect } from '../db/connect.js';
import { migrateToLatest } from '../db/migrate.js';
import { DomainError } from '../domain/errors.js';
import type { FailedMessage } from '../server.js';
import { BATCH_LINES, formatSummary } from '../modules/catalogue/index.js';
import type { FromImportWorker, ImportWorkerData, ToImportWorker } from './catalogue-worker.js';
import { DEMO_ADMIN, DEMO_ADMIN_PASSWORD, DEMO_PASSWORD, DEMO_REVIEWERS } from './demo-catalogue.js';
import { readPassword } from './read-password.js';

const HELP = `Usage: butaca <command> [options]

Commands:
  serve                            start the HTTP server (what npm start runs)
  migrate                          bring the database schema up to date
  seed --demo [--force]            load a demo catalogue (movies, posters, trailers, users,
                                   reviews) into a database without movies
  user create <username> [--admin] create a user; the password is read from standard input
  user role <username> admin|user  change a user's role
  user reset-password <username>   set a new password (read from standard input), ending the
                                   user's sessions
  user export <username> FILE.zip  write a member's data (Letterboxd's CSVs and butaca.json)
  user import <username> FILE      import a Letterboxd export (its ZIP or one CSV) into a member
  catalogue import title.basics.tsv[.gz] [--crew title.crew.tsv[.gz] --names name.basics.tsv[.gz]]
                                   load (or update) movies from IMDb's dataset files
  backup FILE                      a consistent copy of the SQLite database, while it serves
  restore FILE                     put a backup in place of a stopped (or new) database

Configuration comes from environment variables (and a .env file): HOST, PORT, DATA_DIR,
DATABASE_URL, LOG_LEVEL, TRUST_PROXY, ... See the README.

Options:
  -h, --help                       show this help, or a command's own (butaca user create --help)
`;

/** Each command's own help, for `butaca <command> [<subcommand>] --help`. */
const COMMAND_HELP: Record<string, string> = {
  serve: `Usage: butaca serve

Migrates the database, then serves the API, the web client and /docs on HOST:PORT until SIGTERM or
Ctrl-C (graceful: requests in flight finish). WORKERS=auto runs one process per core. Every setting
is an environment variable (PORT, DATA_DIR, DATABASE_URL, TLS_CERT, ...): see the README.
`,
  migrate: `Usage: butaca migrate

Brings the database schema up to date and says which migrations it applied. serve does it too.
`,
  seed: `Usage: butaca seed --demo [--force]

Loads the demo catalogue: 24 movies with generated posters, 4 with a sample trailer, the users
admin, demo, lucia, marcos, sofia and kenji (passwords printed at the end) with profiles and
avatars, and their half-star ratings, reviews, diaries and watchlists over the past year, in one
transaction: on any failure nothing is loaded.

  --demo    required: what to load
  --force   load it into a database that already has users (but no movies), beside them

A database that already has movies is refused: point DATA_DIR (or DATABASE_URL) at a new one,
as in DATA_DIR=./demo-data npx butaca seed --demo.
`,
  user: `Usage: butaca user create <username> [--admin]
       butaca user role <username> admin|user
       butaca user reset-password <username>
       butaca user export <username> FILE.zip
       butaca user import <username> FILE

  create   make a user (3-50 letters, digits, _ . -); the password (8-128 characters) is read from
           standard input, not echoed on a terminal. --admin makes an administrator.
  role     make an existing user an administrator, or a plain user again
  reset-password
           set a user's password (8-128 characters, read from standard input, not echoed on a
           terminal) and end every session of theirs: for a member locked out of their account
  export   write everything of the member to FILE.zip, as GET /api/v1/users/me/export does:
           diary.csv, ratings.csv, reviews.csv, watchlist.csv, lists/*.csv in Letterboxd's format
           and butaca.json (written to a temporary file, renamed into place when complete)
  import   read a Letterboxd export (its ZIP, or one of its CSV files, named as Letterboxd names
           them) into the member, as POST /api/v1/users/me/import/letterboxd does, all or nothing;
           the archive limits hold (100 MiB unpacked, 10,000 entries), the 20 MiB upload limit not.
           With export, moves an account's data between two instances.
`,
  backup: `Usage: butaca backup FILE

Copies the SQLite database (DATA_DIR/butaca.db, or DATABASE_URL's) to FILE while the server serves
and writes: SQLite's online backup in one step, so the copy is the database at one instant and
holds every write acknowledged before the backup began. The copy is written beside FILE, checked
(SQLite's integrity_check, a migration this release knows) and made durable before it is renamed
to FILE; only then does the command say it succeeded. Media files are not in it: copy the media
directory after the backup (its files are never changed once written), as the README shows.
On PostgreSQL: use pg_dump (and pg_restore).
`,
  restore: `Usage: butaca restore FILE

Puts the backup FILE in place of the SQLite database, which no server may be using (stop it first).
FILE is checked first (integrity_check, a migration this release knows); a database already there
is kept beside it as butaca.db.before-restore-<time>. The next start migrates it if it is older.
On PostgreSQL: use pg_restore.
`,
  catalogue: `Usage: butaca catalogue import title.basics.tsv[.gz] [--crew title.crew.tsv[.gz] --names name.basics.tsv[.gz]]

Loads the movies (titleType "movie") of IMDb's dataset files (https://datasets.imdbws.com/),
gzipped or not, streaming, a transaction every ${BATCH_LINES} lines. A movie is found again by its IMDb
id: a rerun updates what changed and never duplicates. A movie without an IMDb id that has the
same title (ignoring case) and year is adopted: it gets the IMDb id and fields. Values outside
Butaca's rules (a title over 200 characters, a year outside 1878-2100, a runtime outside
1-100000) are skipped and counted; a malformed line stops the import (exit status 1) with its file
and line number, the batches before it committed. Ctrl-C stops after the current batch (exit
status 130); a rerun continues.

  --crew    title.crew.tsv[.gz]: the movies' directors, in credit order...
  --names   name.basics.tsv[.gz]: ...and their names; the two go together

Progress goes to standard error (a bar on a terminal), the summary to standard output.
`,
};
COMMAND_HELP['catalogue import'] = COMMAND_HELP.catalogue!;
COMMAND_HELP['user create'] = COMMAND_HELP.user!;
COMMAND_HELP['user role'] = COMMAND_HELP.user!;
COMMAND_HELP['user export'] = COMMAND_HELP.user!;
COMMAND_HELP['user reset-password'] = COMMAND_HELP.user!;
COMMAND_HELP['user import'] = COMMAND_HELP.user!;

/** The help for `argv` (its command and subcommand, when they have one of their own), or the general one. */
function helpFor(argv: string[]): string {
  const words = argv.filter((a) => !a.startsWith('-'));
  return COMMAND_HELP[words.slice(0, 2).join(' ')] ?? COMMAND_HELP[words[0] ?? ''] ?? HELP;
}

/** A problem the user can fix: printed as one line, exit status 1. */
class UsageError extends Error {}

async function withDb<T>(config: Config, work: (db: ReturnType<typeof connect>) => Promise<T>): Promise<T> {
  const db = connect(config.database);
  try {
    await migrateToLatest(db);
    return await work(db);
  } finally {
    await db.destroy();
  }
}

// Each command loads what it needs when it runs (the server, the users module): a command starts
// faster and smaller without the rest (the catalogue import's memory is measured).

async function userCreate(config: Config, args: string[]): Promise<void> {
  const { createUser, isNewPassword, isUsername } = await import('../modules/users/index.js');
  const { values, positionals } = parseArgs({ args, options: { admin: { type: 'boolean', default: false } }, allowPositionals: true });
  const [username] = positionals;
  if (!username || positionals.length > 1) throw new UsageError('usage: butaca user create <username> [--admin]');
  // The API's own rules (src/modules/users/schemas.ts), so the two never disagree.
  if (!isUsername(username)) throw new UsageError('username must be 3–50 letters, digits, _, . or -');
  const password = await readPassword(`Password for ${username}: `);
  if (!isNewPassword(password)) throw new UsageError('password must be 8–128 characters');
  await withDb(config, async (db) => {
    try {
      const user = await createUser(db, username, password, values.admin ? 'admin' : 'user');
      process.stdout.write(`created ${user.role} "${user.username}" (id ${user.id})\n`);
    } catch (err) {
      if (err instanceof DomainError && err.code === 'username_taken') throw new UsageError(`username "${username}" is already in use`);
      throw err;
    }
  });
}

async function userRole(config: Config, args: string[]): Promise<void> {
  const { setRole } = await import('../modules/users/index.js');
  const [username, role, ...rest] = args;
  if (!username || (role !== 'admin' && role !== 'user') || rest.length > 0) {
    throw new UsageError('usage: butaca user role <username> admin|user');
  }
  await withDb(config, async (db) => {
    const user = await setRole(db, username, role);
    if (!user) throw new UsageError(`no user "${username}"`);
    process.stdout.write(`"${user.username}" is now ${user.role}\n`);
  });
}

async function userResetPassword(config: Config, args: string[]): Promise<void> {
  const [username, ...rest] = args;
  if (!username || rest.length > 0) throw new UsageError('usage: butaca user reset-password <username>');
  const { findUserByName, isNewPassword } = await import('../modules/users/index.js');
  const { resetPassword } = await import('../modules/auth/index.js');
  await withDb(config, async (db) => {
    // Before the password is asked for: nobody types a new password for a user who is not there.
    const user = await findUserByName(db, username);
    if (!user) throw new UsageError(`no user "${username}"`);
    const password = await readPassword(`New password for ${user.username}: `);
    if (!isNewPassword(password)) throw new UsageError('password must be 8–128 characters');
    await resetPassword(db, user.id, password);
    process.stdout.write(`the password of "${user.username}" is changed; their sessions are ended\n`);
  });
}

async function backupOrRestore(config: Config, command: 'backup' | 'restore', args: string[]): Promise<void> {
  const [file, ...rest] = args;
  if (!file || rest.length > 0) throw new UsageError(`usage: butaca ${command} FILE`);
  if (config.database.kind !== 'sqlite') {
    throw new UsageError(
      command === 'backup'
        ? 'the database is PostgreSQL: back it up with pg_dump (pg_dump --format=custom --file=butaca.dump "$DATABASE_URL")'
        : 'the database is PostgreSQL: restore a pg_dump backup with pg_restore (pg_restore --clean --dbname="$DATABASE_URL" butaca.dump)',
    );
  }
  const { BackupError, backupDatabase, restoreDatabase } = await import('../db/backup.js');
  const dbPath = config.database.path;
  const started = performance.now();
  try {
    if (command === 'backup') {
      const done = await backupDatabase(dbPath, file);
      process.stdout.write(`backed up ${dbPath} to ${file}: ${done.bytes} bytes, checked (integrity ok, migration ${done.migration}), in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
    } else {
      const done = await restoreDatabase(file, dbPath);
      process.stdout.write(`restored ${file} to ${dbPath} (migration ${done.migration})${done.keptAs ? `; the database that was there is kept as ${done.keptAs}` : ''}\n`);
    }
  } catch (err) {
    if (err instanceof BackupError) throw new UsageError(err.message);
    throw err;
  }
}

async function userExport(config: Config, args: string[]): Promise<void> {
  const [username, file, ...rest] = args;
  if (!username || !file || rest.length > 0) throw new UsageError('usage: butaca user export <username> FILE.zip');
  const { findUserByName } = await import('../modules/users/index.js');
  const { exportMember } = await import('../modules/transfer/index.js');
  const { createWriteStream } = await import('node:fs');
  const { rename, rm, stat } = await import('node:fs/promises');
  const { pipeline } = await import('node:stream/promises');
  await withDb(config, async (db) => {
    const user = await findUserByName(db, username);
    if (!user) throw new UsageError(`no user "${username}"`);
    const partial = `${file}.partial`;
    let created = false;
    try {
      const out = createWriteStream(partial, { flags: 'wx' });
      out.once('open', () => (created = true));
      await pipeline(await exportMember(db, user), out);
      await rename(partial, file);
    } catch (err) {
      // Only a partial file this export made is removed: one that was there is another export's.
      if (created) await rm(partial, { force: true });
      if ((err as { code?: string }).code === 'EEXIST') throw new UsageError(`${partial} exists: another export is writing it, or remove it`);
      throw err;
    }
    process.stdout.write(`exported "${user.username}" to ${file} (${(await stat(file)).size} bytes)\n`);
  });
}

async function userImport(config: Config, args: string[]): Promise<void> {
  const [username, file, ...rest] = args;
  if (!username || !file || rest.length > 0) throw new UsageError('usage: butaca user import <username> FILE');
  const { findUserByName } = await import('../modules/users/index.js');
  const { importLetterboxd } = await import('../modules/transfer/index.js');
  const { access } = await import('node:fs/promises');
  const { InvalidInput } = await import('../domain/issues.js');
  await access(file).catch(() => {
    throw new UsageError(`cannot read ${file}`);
  });
  await withDb(config, async (db) => {
    const user = await findUserByName(db, username);
    if (!user) throw new UsageError(`no user "${username}"`);
    try {
      const s = await importLetterboxd(db, user.id, file, path.basename(file));
      const c = s.created;
      process.stdout.write(
        `imported into "${user.username}": ${s.matched} films matched, ${s.unmatched.length} not found; ` +
          `made ${c.diary} diary entries, ${c.ratings} ratings, ${c.reviews} reviews, ${c.watchlist} watchlist films, ${c.lists} lists\n`,
      );
      for (const f of s.unmatched) process.stdout.write(`  not in the catalogue: ${f.name}${f.year === null ? '' : ` (${f.year})`}\n`);
      for (const k of s.skipped) process.stdout.write(`  skipped ${k.file} line ${k.line}: a review needs a rating\n`);
    } catch (err) {
      if (err instanceof InvalidInput) throw new UsageError(`nothing imported: ${err.message}`);
      throw err;
    }
  });
}

/**
 * How to start the server on the data a command just wrote: `npm start` alone would serve
 * ./data, not the DATA_DIR (or DATABASE_URL) this command was given. A PostgreSQL URL is not
 * repeated: it may hold a password.
 */
function startHint(config: Config): string {
  const env = process.env;
  const vars: string[] = [];
  if (env.DATA_DIR && path.resolve(env.DATA_DIR) !== path.resolve('data')) vars.push(`DATA_DIR=${shellWord(env.DATA_DIR)}`);
  const db = config.database;
  if (db.kind === 'sqlite' && env.DATABASE_URL && db.path !== path.join(config.dataDir, 'butaca.db')) vars.push(`DATABASE_URL=${shellWord(`sqlite:${db.path}`)}`);
  const line = `Start the server with: ${[...vars, 'npm start'].join(' ')}`;
  return db.kind === 'postgres' ? `${line} (and the same DATABASE_URL)` : line;
}

/** A word as a POSIX shell reads it back: as it is when plain, else in single quotes. */
const shellWord = (word: string): string => (/^[\w./:@%+=,-]+$/.test(word) ? word : `'${word.replace(/'/g, "'\\''")}'`);

async function seed(config: Config, args: string[]): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({ args, options: { demo: { type: 'boolean', default: false }, force: { type: 'boolean', default: false } }, allowPositionals: true });
  } catch {
    throw new UsageError('usage: butaca seed --demo [--force] (butaca seed --help says more)');
  }
  const { values, positionals } = parsed;
  if (!values.demo || positionals.length > 0) throw new UsageError('usage: butaca seed --demo [--force] (butaca seed --help says more)');
  const where = config.database.kind === 'sqlite' ? config.database.path : 'PostgreSQL';
  // Imported here: the seed's image generation (sharp) is not needed to serve.
  const { seedDemo } = await import('./seed.js');
  const done = await withDb(config, (db) => seedDemo(db, config, { force: values.force }));
  const others = DEMO_REVIEWERS.filter((name) => name !== 'demo').join(', ');
  process.stdout.write(
    `Loaded the demo catalogue into ${where}:\n` +
      `  ${done.movies} movies, ${done.posters} posters, ${done.trailers} trailers, ${done.users} users, ${done.reviews} reviews\n` +
      `  ${done.ratings} ratings, ${done.diary} diary entries, ${done.watchlist} watchlist entries, ${done.avatars} avatars\n` +
      `  ${done.follows} follows, ${done.likes} likes, ${done.comments} comments, ${done.lists} lists\n\n` +
      `Demo logins. These are demo credentials, printed here for anyone to read: change the passwords\n` +
      `(PUT /api/v1/users/me/password) or delete the users before this server is reachable by others.\n` +
      `  ${DEMO_ADMIN.padEnd(8)} ${DEMO_ADMIN_PASSWORD.padEnd(16)} administrator: can edit the catalogue, posters and trailers\n` +
      `  ${'demo'.padEnd(8)} ${DEMO_PASSWORD.padEnd(16)} a reviewer (${others} share the same password)\n\n` +
      `${startHint(config)}\n`,
  );
}

const CATALOGUE_USAGE = 'usage: butaca catalogue import title.basics.tsv[.gz] [--crew title.crew.tsv[.gz] --names name.basics.tsv[.gz]]';

/** Exit status of a command stopped by Ctrl-C, as a shell reports it (128 + SIGINT). */
const INTERRUPTED = 130;

async function catalogueImport(config: Config, args: string[]): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({ args, options: { crew: { type: 'string' }, names: { type: 'string' } }, allowPositionals: true });
  } catch (err) {
    throw new UsageError(`${(err as Error).message}; ${CATALOGUE_USAGE}`);
  }
  const { values, positionals } = parsed;
  const [basics] = positionals;
  if (basics === undefined || positionals.length > 1) throw new UsageError(CATALOGUE_USAGE);
  // The crew gives nconsts, the names file their names: one without the other cannot name a director.
  if ((values.crew === undefined) !== (values.names === undefined)) {
    throw new UsageError(`--crew and --names go together (directors are nconsts in one, names in the other); ${CATALOGUE_USAGE}`);
  }
  const files = { basics, crew: values.crew, names: values.names };
  const { Worker } = await import('node:worker_threads');
  const { IMPORT_HEAP_MB, IMPORT_YOUNG_HEAP_MB } = await import('./catalogue-worker.js');
  const compiled = path.extname(fileURLToPath(import.meta.url)) === '.js';
  const entry = new URL(`./catalogue-worker.${compiled ? 'js' : 'ts'}`, import.meta.url);
  // From the sources (the tests run the CLI under tsx) the worker registers tsx itself: an eval
  // worker runs no --import preload, and it gets none (execArgv: []) so tsx is never registered twice.
  const source = compiled ? entry : `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); })`;
  const worker = new Worker(source, {
    eval: !compiled,
    ...(compiled ? {} : { execArgv: [] }),
    workerData: { database: config.database, files, tty: process.stderr.isTTY === true } satisfies ImportWorkerData,
    resourceLimits: { maxOldGenerationSizeMb: IMPORT_HEAP_MB, maxYoungGenerationSizeMb: IMPORT_YOUNG_HEAP_MB },
  });
  let stopping = false;
  // The first Ctrl-C lets the current batch commit (or roll back) and stops; a second one stops at once (SQLite and PostgreSQL roll back an unfinished transaction).
  const onSigint = () => {
    if (stopping) {
      // process.exit would wait for the worker, which cannot stop inside a SQLite call (building an
      // index takes seconds): the default action of the signal ends the process now, status 130.
      process.off('SIGINT', onSigint);
      process.kill(process.pid, 'SIGINT');
      return;
    }
    stopping = true;
    process.stderr.write('\nstopping after the current batch (Ctrl-C again to stop now)\n');
    worker.postMessage({ type: 'stop' } satisfies ToImportWorker);
  };
  process.on('SIGINT', onSigint);
  try {
    const result = await new Promise<FromImportWorker>((resolve, reject) => {
      let answer: FromImportWorker | undefined;
      worker.on('message', (message: FromImportWorker) => (answer = message));
      worker.on('error', (err: Error & { code?: string }) =>
        reject(err.code === 'ERR_WORKER_OUT_OF_MEMORY' ? new Error(`the import ran out of its ${IMPORT_HEAP_MB} MiB of memory; what was committed stays (a rerun continues)`) : err),
      );
      worker.on('exit', (code) => (answer ? resolve(answer) : reject(new Error(`the import stopped unexpectedly (exit code ${code})`))));
    });
    if (result.type === 'failed') throw result.usage ? new UsageError(result.message) : new Error(result.message);
    process.stdout.write(formatSummary(files, result.summary));
    if (result.summary.interrupted) process.exitCode = INTERRUPTED;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
    process.stdout.write(command === 'help' ? helpFor(rest) : HELP);
    return;
  }
  if (rest.includes('-h') || rest.includes('--help')) {
    process.stdout.write(helpFor(argv));
    return;
  }
  loadDotEnv();
  const config = loadConfig();
  switch (command) {
    case 'serve': {
      const { serve } = await import('../server.js');
      const { runCluster } = await import('../cluster.js');
      if (cluster.isWorker) await serve(config, 'worker');
      else if (config.workers > 1) await runCluster(config);
      else await serve(config);
      return;
    }
    case 'migrate': {
      // Not withDb: it migrates before the work, and this report would then always say "up to date".
      const db = connect(config.database);
      const result = await migrateToLatest(db).finally(() => db.destroy());
      const applied = result.results?.filter((r) => r.status === 'Success').map((r) => r.migrationName) ?? [];
      process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'database is up to date\n');
      return;
    }
    case 'seed':
      return seed(config, rest);
    case 'user':
      if (rest[0] === 'create') return userCreate(config, rest.slice(1));
      if (rest[0] === 'role') return userRole(config, rest.slice(1));
      if (rest[0] === 'reset-password') return userResetPassword(config, rest.slice(1));
      if (rest[0] === 'export') return userExport(config, rest.slice(1));
      if (rest[0] === 'import') return userImport(config, rest.slice(1));
      throw new UsageError('usage: butaca user create|role|reset-password|export|import <username> … (butaca user --help)');
    case 'backup':
    case 'restore':
      return backupOrRestore(config, command, rest);
    case 'catalogue':
      if (rest[0] === 'import') return catalogueImport(config, rest.slice(1));
      throw new UsageError(CATALOGUE_USAGE);
    default:
      throw new UsageError(`unknown command "${command}"; try butaca --help`);
  }
}

function errorLine(err: unknown): string {
  if (err instanceof ConfigError || err instanceof UsageError) return `butaca: ${err.message}`;
  if ((err as { code?: string }).code === 'EADDRINUSE' || (err as { code?: string }).code === 'EACCES') {
    return `butaca: cannot listen: ${(err as Error).message} (check HOST and PORT)`;
  }
  return `butaca: ${(err as Error).message ?? String(err)}`;
}

main(process.argv.slice(2)).catch((err: unknown) => {
  const line = errorLine(err);
  if (cluster.isWorker && process.connected) {
    // The primary prints it, once for all its workers.
    const message: FailedMessage = { type: 'butaca:failed', line };
    process.send!(message, () => process.exit(1));
    return;
  }
  process.stderr.write(`${line}\n`);
  process.exit(1);
});

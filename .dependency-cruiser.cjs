/**
 * The layout's one rule, checked by `npm run lint` (dependency-cruiser): infrastructure never
 * imports a feature module, a module uses another only through that module's index.ts, and
 * nothing imports in a circle. README.md, "Where things are", draws the same picture.
 */
const INFRASTRUCTURE = '^src/(config|package-info|cluster|db|storage|http|plugins|counters|metrics|mail|tls|cache|media|security|domain)([./]|$)';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'A cycle makes two files one: neither can be read, tested or moved without the other.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'infrastructure-not-to-modules',
      severity: 'error',
      comment: 'Infrastructure (config, db, storage, http, plugins, counters, tls, cache, media, security, domain) serves every feature and knows none.',
      from: { path: INFRASTRUCTURE },
      to: { path: '^src/modules/' },
    },
    {
      name: 'modules-through-their-index',
      severity: 'error',
      comment: "A module uses another through its index.ts (its small named surface), never through its data, routes or service files.",
      from: { path: '^src/modules/([^/]+)/' },
      to: { path: '^src/modules/[^/]+/', pathNot: ['^src/modules/$1/', '^src/modules/[^/]+/index\\.ts$'] },
    },
    {
      name: 'entry-points-through-module-index',
      severity: 'error',
      comment: "The composition root, the server and the command line reach modules through their index.ts too.",
      from: { path: '^src/', pathNot: '^src/modules/' },
      to: { path: '^src/modules/[^/]+/', pathNot: '^src/modules/[^/]+/index\\.ts$' },
    },
    {
      name: 'domain-imports-nothing',
      severity: 'error',
      comment: 'src/domain (error codes, issue types, enums) is the shared vocabulary: it depends on nothing of the project.',
      from: { path: '^src/domain/' },
      to: { path: '^(src|web|test)/', pathNot: '^src/domain/' },
    },
    {
      name: 'server-not-to-web-or-tests',
      severity: 'error',
      comment: 'The server neither ships the web client’s sources nor test code.',
      from: { path: '^src/' },
      to: { path: '^(web|test)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^(dist|node_modules)/' },
  },
};

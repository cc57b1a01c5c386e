import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import { type TestContext, adminToken, bearer, createMovie, dbProblemsOf, mediaFixture, multipartBody, startApp, uploadMedia, userToken } from './support/app.js';

/*
 * Contract fuzzing: every operation of the OpenAPI document (the same schemas that validate the
 * requests) gets requests made from its own schemas — valid values, boundaries (min, max, one
 * past each) and hostile ones (wrong types, huge and odd numbers, awkward unicode, SQL and path
 * strings, missing and extra fields, broken bodies and content types, odd path ids) — as an
 * administrator, a user and anonymously. Whatever comes in, the service must:
 *
 *   - never answer 5xx;
 *   - answer every 4xx with a JSON body whose `detail` is a string (or FastAPI's list for 422);
 *   - answer every 2xx JSON with a body that matches the operation's declared response schema
 *     (a status the document does not declare fails too);
 *   - leave the database whole: integrity_check ok, no foreign key violations, and every movie's
 *     review_count / score_sum equal to a recount.
 *
 * `npm test` runs a bounded number of cases per operation; `npm run fuzz` many more (FUZZ_RUNS
 * overrides both). A failure is reported with fast-check's shrunk counterexample and seed.
 */

const RUNS = Number(process.env.FUZZ_RUNS ?? (process.env.npm_lifecycle_event === 'fuzz' ? 1000 : 60));

type JsonSchema = {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  items?: JsonSchema;
  default?: unknown;
  $ref?: string;
};

interface Parameter {
  in: 'path' | 'query' | 'header' | 'cookie';
  name: string;
  required?: boolean;
  schema: JsonSchema;
}

interface Operation {
  method: string;
  path: string;
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema: JsonSchema }> };
  responses: Record<string, { content?: Record<string, { schema: JsonSchema }> }>;
}

interface OpenApi {
  paths: Record<string, Record<string, Omit<Operation, 'method' | 'path'>>>;
  components: Record<string, unknown>;
}

type Who = 'admin' | 'user' | 'anonymous';

interface FuzzRequest {
  who: Who;
  path: string;
  query: string;
  /** Raw body bytes / text and its content type; undefined sends none. */
  body?: { payload: string | Buffer; contentType?: string };
  label: string;
}

// ---------------------------------------------------------------------------------------------
// Values

/** Values no schema asks for; each has broken a service somewhere. */
const HOSTILE: unknown[] = [
  null,
  true,
  false,
  0,
  -1,
  1.5,
  1e308,
  2 ** 53 + 1,
  2 ** 64,
  -(2 ** 63),
  '',
  ' ',
  "' OR 1=1 --",
  "'; DROP TABLE movies; --",
  '../../etc/passwd',
  '..\\..\\windows\\win.ini',
  '%00',
  'a\u0000b',
  '\u202Eevil\u202C', // RTL override
  'שלום עולם',
  '😀🎬🍿',
  'e\u0301', // combining mark
  '\uD800', // lone high surrogate
  '\uDFFF', // lone low surrogate
  '\uFEFF',
  '1e3',
  '0x10',
  'NaN',
  'Infinity',
  '<script>alert(1)</script>',
  '{{7*7}}',
  '__proto__',
  'x'.repeat(100_000),
  [],
  [1, 2],
  {},
  { $gt: '' },
  { __proto__: { admin: true } },
];

/** Number spellings JSON.stringify cannot produce (negative zero, overflowing exponents), spliced in as raw JSON text. */
const RAW_NUMBERS = ['-0', '-0.0', '1e308', '1e309', '-1e309', '18446744073709551616', '1.0', '5.0000000000000001', '0.1e1', '1E2'];

const hostile = (): fc.Arbitrary<unknown> =>
  fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...HOSTILE) }, fc.string({ unit: 'binary', maxLength: 40 }), fc.double(), fc.bigInt().map(String));

function resolve(schema: JsonSchema, doc: OpenApi): JsonSchema {
  if (!schema.$ref) return schema;
  const name = schema.$ref.replace('#/components/schemas/', '');
  return (doc.components.schemas as Record<string, JsonSchema>)[name] ?? {};
}

/** Values the schema accepts (give or take patterns and trimming, which the server also checks). */
function valid(schemaIn: JsonSchema, doc: OpenApi): fc.Arbitrary<unknown> {
  const schema = resolve(schemaIn, doc);
  const branches = schema.anyOf ?? schema.oneOf;
  if (branches) return fc.oneof(...branches.map((b) => valid(b, doc)));
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'null':
      return fc.constant(null);
    case 'integer': {
      const min = schema.minimum ?? -1000;
      const max = schema.maximum ?? 1000;
      // Ids: mostly small ones, so the resources made in `before` are hit, not only 404s.
      return fc.oneof(fc.integer({ min, max: Math.min(max, min + 30) }), fc.integer({ min, max }));
    }
    case 'number':
      return fc.double({ min: schema.minimum ?? -1000, max: schema.maximum ?? 1000, noNaN: true });
    case 'boolean':
      return fc.boolean();
    case 'string': {
      if (schema.pattern) {
        // Usernames: letters, digits and . _ - (the only pattern in the contract).
        return fc.stringMatching(/^[A-Za-z0-9._-]{3,20}$/);
      }
      const minLength = schema.minLength ?? 0;
      const maxLength = Math.min(schema.maxLength ?? 40, minLength + 40);
      return fc.oneof(
        fc.string({ minLength, maxLength }).filter((s) => s.trim().length >= Math.min(minLength, 1)),
        fc.string({ unit: 'grapheme', minLength, maxLength }).filter((s) => s.trim().length >= Math.min(minLength, 1)),
      );
    }
    case 'array':
      return fc.array(valid(schema.items ?? {}, doc), { maxLength: 3 });
    case 'object': {
      const props = schema.properties ?? {};
      const required = new Set(schema.required ?? []);
      const record: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [k, v] of Object.entries(props)) record[k] = valid(v, doc);
      return fc.record(record, { requiredKeys: Object.keys(props).filter((k) => required.has(k)) });
    }
    default:
      return fc.constantFrom('x', 1, null);
  }
}

/** The edges of the schema's ranges: min, max and one step past each. */
function boundary(schemaIn: JsonSchema, doc: OpenApi): fc.Arbitrary<unknown> {
  const schema = resolve(schemaIn, doc);
  const branches = schema.anyOf ?? schema.oneOf;
  if (branches) return fc.oneof(...branches.map((b) => boundary(b, doc)));
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  if (type === 'integer' || type === 'number') {
    const edges = [schema.minimum, schema.maximum].filter((n): n is number => n !== undefined).flatMap((n) => [n - 1, n, n + 1]);
    return edges.length > 0 ? fc.constantFrom(...edges) : fc.constantFrom(0, -1, 2147483647, 2147483648);
  }
  if (type === 'string' && !schema.enum) {
    const lengths = [schema.minLength ?? 0, schema.maxLength]
      .filter((n): n is number => n !== undefined)
      .flatMap((n) => [n - 1, n, n + 1])
      .filter((n) => n >= 0);
    // 'é' is two UTF-8 bytes, '😀' two UTF-16 units: limits counted in the wrong unit show up here.
    return fc.tuple(fc.constantFrom(...lengths), fc.constantFrom('a', 'é', '😀', ' ')).map(([n, ch]) => ch.repeat(n));
  }
  return valid(schema, doc);
}

function value(schema: JsonSchema, doc: OpenApi): fc.Arbitrary<unknown> {
  return fc.oneof({ weight: 3, arbitrary: valid(schema, doc) }, { weight: 2, arbitrary: boundary(schema, doc) }, { weight: 2, arbitrary: hostile() });
}

// ---------------------------------------------------------------------------------------------
// Requests

/**
 * encodeURIComponent, except that a lone surrogate (which it refuses) goes out as the three bytes
 * WTF-8 would give it: a percent-encoded sequence that is not valid UTF-8, for the server to cope with.
 */
function encode(text: string): string {
  let out = '';
  for (const ch of text) {
    const cu = ch.charCodeAt(0);
    if (ch.length === 1 && cu >= 0xd800 && cu <= 0xdfff) {
      out += [0xe0 | (cu >> 12), 0x80 | ((cu >> 6) & 0x3f), 0x80 | (cu & 0x3f)].map((b) => `%${b.toString(16).toUpperCase()}`).join('');
    } else {
      out += encodeURIComponent(ch);
    }
  }
  return out;
}

const ODD_IDS = ['1e3', '-1', '0', '-0', '0x10', '9999999999999', '2147483648', '1.5', ' 1', '1 ', '%20', 'abc', '..%2F..%2Fetc%2Fpasswd', '%00', '1%00', '%F0%9F%98%80', '٣'];

function pathArb(op: Operation, doc: OpenApi): fc.Arbitrary<string> {
  const params = (op.parameters ?? []).filter((p) => p.in === 'path');
  if (params.length === 0) return fc.constant(op.path);
  return fc.tuple(...params.map((p) => fc.oneof({ weight: 4, arbitrary: valid(p.schema, doc).map((v) => encode(String(v))) }, fc.constantFrom(...ODD_IDS)))).map((values) => {
    let out = op.path;
    params.forEach((p, i) => (out = out.replace(`{${p.name}}`, values[i]!)));
    return out;
  });
}

function queryArb(op: Operation, doc: OpenApi): fc.Arbitrary<string> {
  const params = (op.parameters ?? []).filter((p) => p.in === 'query');
  const pairs = params.map((p) =>
    fc.option(
      value(p.schema, doc).map((v) => `${encode(p.name)}=${encode(typeof v === 'object' ? JSON.stringify(v) : String(v))}`),
      { nil: undefined, freq: 2 },
    ),
  );
  // Repeated and unknown parameters: an array where one value is expected, and noise.
  const extra = fc.option(fc.constantFrom('page=1&page=2', 'limit=5&limit=500', 'unknown=1', 'q[]=x', '__proto__[x]=1', '%ZZ=1', 'q=%E0%A4%A'), { nil: undefined });
  return fc.tuple(fc.tuple(...pairs), extra).map(([ps, e]) => {
    const parts = [...ps, e].filter((x): x is string => x !== undefined);
    return parts.length > 0 ? `?${parts.join('&')}` : '';
  });
}

/** A JSON object body built from the schema, then maybe damaged: a field hostile, a field missing, an unknown field. */
function jsonObjectArb(schema: JsonSchema, doc: OpenApi): fc.Arbitrary<string> {
  const s = resolve(schema, doc);
  const props = Object.keys(s.properties ?? {});
  const base = valid(s, doc) as fc.Arbitrary<Record<string, unknown>>;
  const mutated = fc.tuple(base, fc.constantFrom(...(props.length > 0 ? props : ['x'])), fc.integer({ min: 0, max: 4 }), value(s.properties?.[props[0] ?? ''] ?? {}, doc), hostile(), fc.constantFrom(...RAW_NUMBERS)).map(
    ([obj, field, how, boundaryValue, bad, raw]) => {
      const copy: Record<string, unknown> = { ...obj };
      if (how === 0) copy[field] = bad;
      if (how === 1) delete copy[field];
      if (how === 2) copy.unexpected_field = bad;
      if (how === 3) copy[field] = boundaryValue;
      if (how === 4) {
        copy[field] = '__RAW__';
        return JSON.stringify(copy).replace('"__RAW__"', raw);
      }
      return JSON.stringify(copy);
    },
  );
  const perField = props.map((p) => fc.tuple(base, boundary(s.properties![p]!, doc)).map(([obj, v]) => JSON.stringify({ ...obj, [p]: v })));
  return fc.oneof({ weight: 3, arbitrary: base.map((o) => JSON.stringify(o)) }, { weight: 3, arbitrary: mutated }, ...perField);
}

const BROKEN_JSON = ['{', '{"a":', '[1,2', 'nul', '{"review": "x" "score": 1}', '\u0000', '{"a":1}garbage', '{"a":"\\ud800"}', '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{"x":1}}}'];

function jsonBodyArb(schema: JsonSchema, doc: OpenApi): fc.Arbitrary<FuzzRequest['body']> {
  const asJson = (payload: string): FuzzRequest['body'] => ({ payload, contentType: 'application/json' });
  return fc.oneof(
    { weight: 6, arbitrary: jsonObjectArb(schema, doc).map(asJson) },
    // Not an object at all.
    fc.constantFrom('null', '[]', '[{}]', '"text"', '42', 'true', '-0').map(asJson),
    fc.constantFrom(...BROKEN_JSON).map(asJson),
    // The right JSON under the wrong (or no) content type.
    fc.tuple(jsonObjectArb(schema, doc), fc.constantFrom('text/plain', 'application/xml', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=latin1', 'application/vnd.api+json', '')).map(
      ([payload, contentType]) => (contentType === '' ? { payload } : { payload, contentType }),
    ),
    fc.constant(undefined),
  );
}

const KIND_FIXTURES = { poster: ['poster.jpg', 'poster.png', 'poster.webp'], trailer: ['trailer.mp4', 'trailer.webm'] };

function uploadBodyArb(kind: 'poster' | 'trailer'): fc.Arbitrary<FuzzRequest['body']> {
  const good = fc.constantFrom(...KIND_FIXTURES[kind]).map((f) => mediaFixture(f));
  const junk = fc.oneof(fc.uint8Array({ maxLength: 2000 }).map((a) => Buffer.from(a)), fc.constantFrom(mediaFixture('not-an-image.jpg'), mediaFixture('truncated.mp4'), Buffer.alloc(0)));
  const file = fc.oneof(good, junk, good.map((b) => b.subarray(0, Math.floor(b.length / 2))));
  return fc.oneof(
    fc.tuple(file, fc.constantFrom('application/octet-stream', 'image/jpeg', 'image/png', 'video/mp4', 'text/plain', 'application/json')).map(([payload, contentType]) => ({ payload, contentType })),
    fc.tuple(file, fc.constantFrom('file', 'other', ''), fc.constantFrom('a.jpg', '../../etc/passwd', '😀.mp4', 'a\u0000b', '')).map(([data, name, filename]) => {
      const body = multipartBody([{ name, filename, contentType: 'application/octet-stream', data }]);
      return { payload: body.payload, contentType: body.contentType };
    }),
    // Broken multipart: wrong boundary, cut short, no parts, two files, no boundary at all.
    fc.tuple(file, fc.integer({ min: 0, max: 4 })).map(([data, how]) => {
      const body = multipartBody([{ name: 'file', filename: 'a.bin', data }]);
      if (how === 0) return { payload: body.payload, contentType: 'multipart/form-data; boundary=not-the-one' };
      if (how === 1) return { payload: body.payload.subarray(0, Math.max(1, body.payload.length - 40)), contentType: body.contentType };
      if (how === 2) return { payload: Buffer.from(`--${body.contentType.split('=')[1]}--\r\n`), contentType: body.contentType };
      if (how === 3) {
        const two = multipartBody([
          { name: 'file', filename: 'a.bin', data },
          { name: 'file', filename: 'b.bin', data },
        ]);
        return { payload: two.payload, contentType: two.contentType };
      }
      return { payload: body.payload, contentType: 'multipart/form-data' };
    }),
    fc.constant(undefined),
  );
}

function bodyArb(op: Operation, doc: OpenApi): fc.Arbitrary<FuzzRequest['body']> {
  const content = op.requestBody?.content;
  if (!content) {
    // Bodies nobody asked for: ignored or refused, never a crash.
    return fc.option(fc.constantFrom<FuzzRequest['body']>({ payload: '{"x":1}', contentType: 'application/json' }, { payload: '{', contentType: 'application/json' }), { nil: undefined, freq: 4 });
  }
  if (content['multipart/form-data']) return uploadBodyArb(op.path.endsWith('/poster') ? 'poster' : 'trailer');
  const json = content['application/json'];
  const form = content['application/x-www-form-urlencoded'];
  const arbs: fc.Arbitrary<FuzzRequest['body']>[] = [];
  if (json) arbs.push(jsonBodyArb(json.schema, doc));
  if (form) {
    const s = resolve(form.schema, doc);
    arbs.push(
      (valid(s, doc) as fc.Arbitrary<Record<string, unknown>>).chain((obj) =>
        fc.tuple(fc.constant(obj), fc.option(hostile(), { nil: undefined })).map(([o, bad]) => {
          const params = new URLSearchParams();
          for (const [k, v] of Object.entries(o)) params.append(k, String(v));
          if (bad !== undefined) params.append(Object.keys(s.properties ?? {})[0] ?? 'x', typeof bad === 'object' ? JSON.stringify(bad) : String(bad));
          return { payload: params.toString(), contentType: 'application/x-www-form-urlencoded' };
        }),
      ),
    );
  }
  return arbs.length === 1 ? arbs[0]! : fc.oneof(...arbs);
}

/** A short description of a body for failure messages: its type, size and first bytes. */
function describeBody(body: FuzzRequest['body']): string {
  if (!body) return ', no body';
  const text = Buffer.from(body.payload).subarray(0, 80).toString('latin1').replace(/[^\x20-\x7e]/g, '.');
  return `, body ${body.contentType ?? '(no content-type)'} ${Buffer.byteLength(body.payload)} bytes: ${JSON.stringify(text)}`;
}

// ---------------------------------------------------------------------------------------------
// Checks

function detailProblem(res: LightMyRequestResponse): string | undefined {
  let body: { detail?: unknown };
  try {
    body = res.json();
  } catch {
    return `${res.statusCode} body is not JSON: ${res.body.slice(0, 200)}`;
  }
  const d = body?.detail;
  if (typeof d === 'string') return undefined;
  if (res.statusCode === 422 && Array.isArray(d) && d.length > 0) {
    const bad = d.find((e: { loc?: unknown; msg?: unknown; type?: unknown }) => !Array.isArray(e?.loc) || typeof e.msg !== 'string' || typeof e.type !== 'string');
    return bad === undefined ? undefined : `422 detail item without loc/msg/type: ${JSON.stringify(bad)}`;
  }
  return `${res.statusCode} without a usable detail: ${res.body.slice(0, 200)}`;
}

describe('contract fuzzing', () => {
  let ctx: TestContext;
  let doc: OpenApi;
  let tokens: Record<Exclude<Who, 'anonymous'>, string>;
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats.default(ajv);
  const validators = new Map<string, ValidateFunction>();
  const statuses = new Map<number, number>();
  let cases = 0;
  let lastAnswer: LightMyRequestResponse | undefined;

  before(async () => {
    // Rate limits and login throttling off: the fuzzer is one client sending thousands of requests, and 429s would hide
    // the answers it is here to check (the limits have their own tests).
    ctx = await startApp({ RATE_LIMIT_MAX: '0', AUTH_RATE_LIMIT_MAX: '0', LOGIN_MAX_FAILURES: '1000000', LOGIN_MAX_FAILURES_PER_ADDRESS: '1000000' });
    tokens = { admin: await adminToken(ctx), user: await userToken(ctx.app, 'fuzzer') };
    // Something for the valid ids to find: movies with reviews, a poster and a trailer.
    for (let i = 1; i <= 6; i++) {
      const m = await createMovie(ctx.app, tokens.admin, { title: `Fuzz movie ${i}`, year: 1990 + i, synopsis: 'Seeded' });
      await ctx.app.inject({ method: 'POST', url: '/api/v1/reviews', headers: bearer(tokens.user), payload: { movie_id: m.id, review: 'Seeded', score: (i % 5) + 1 } });
      if (i <= 2) {
        await uploadMedia(ctx.app, m.id, 'poster', mediaFixture('poster.jpg'), { token: tokens.admin });
        await uploadMedia(ctx.app, m.id, 'trailer', mediaFixture('trailer.mp4'), { token: tokens.admin });
      }
    }
    doc = (await ctx.app.inject({ method: 'GET', url: '/openapi.json' })).json<OpenApi>();
  });

  after(async () => ctx.close());

  function responseValidator(op: Operation, status: number): ValidateFunction | 'undeclared' | 'not-json' {
    const declared = op.responses[String(status)] ?? op.responses[`${String(status)[0]}XX`];
    if (!declared) return 'undeclared';
    const schema = declared.content?.['application/json']?.schema;
    if (!schema) return 'not-json';
    const key = `${op.method} ${op.path} ${status}`;
    let v = validators.get(key);
    if (!v) {
      // The document's components ride along so "#/components/..." references resolve.
      v = ajv.compile({ ...schema, components: doc.components });
      validators.set(key, v);
    }
    return v;
  }

  async function send(op: Operation, req: FuzzRequest): Promise<string | undefined> {
    const headers: Record<string, string> = {};
    if (req.who !== 'anonymous') {
      // Logging out would spend the shared token: that operation gets a session of its own.
      headers.authorization = op.path.endsWith('/logout') ? bearer(await freshToken(req.who)).authorization! : bearer(tokens[req.who]).authorization!;
    }
    if (req.body?.contentType !== undefined) headers['content-type'] = req.body.contentType;
    // A request that never gets an answer is a failure too (and would otherwise end the run silently).
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), 10_000)));
    const res = await Promise.race([
      ctx.app.inject({
        method: op.method.toUpperCase() as 'GET',
        url: req.path + req.query,
        headers,
        ...(req.body === undefined ? {} : { payload: req.body.payload }),
      }),
      timeout,
    ]);
    clearTimeout(timer);
    cases++;
    if (res === 'timeout') return 'no answer within 10 s';
    lastAnswer = res;
    statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
    const s = res.statusCode;
    if (s >= 500) return `${s}: ${res.body.slice(0, 300)}`;
    // A HEAD answer has no body to hold a detail (its GET twin is fuzzed too).
    if (s >= 400) return op.method === 'head' ? undefined : detailProblem(res);
    if (s === 204 || s === 304) return undefined;
    const check = responseValidator(op, s);
    if (check === 'undeclared') return `status ${s} is not declared for the operation`;
    if (check === 'not-json') return undefined; // files (posters, trailers)
    let body: unknown;
    try {
      body = res.json();
    } catch {
      return `${s} body is not JSON: ${res.body.slice(0, 200)}`;
    }
    if (!check(body)) return `${s} body does not match the declared schema: ${ajv.errorsText(check.errors)}; body ${res.body.slice(0, 300)}`;
    return undefined;
  }

  async function freshToken(who: Exclude<Who, 'anonymous'>): Promise<string> {
    const res = await ctx.app.inject({ method: 'POST', url: '/auth', payload: { username: who === 'admin' ? 'admin' : 'fuzzer', password: 'correct-horse-battery' } });
    return res.json<{ access_token: string }>().access_token;
  }

  /**
   * Before the random part: every text field of every operation (JSON and form body properties,
   * query parameters) gets every hostile text at least once, the rest of the request valid, as an
   * administrator (so authentication never answers first). Texts PostgreSQL cannot store (U+0000)
   * or that are not characters (a lone surrogate) must be a 422 at that very field on either
   * database; every other text must get no 5xx and a usable answer.
   */
  const HOSTILE_TEXTS = ['a\u0000b', 'a-long-enough\u0000text', '\u0000', 'a-long-enough\uD800text', '%00', '\uD800', 'x\uDFFF', '\uDFFF\uD800', "' OR 1=1 --", "'; DROP TABLE movies; --", '\u202Eevil\u202C', '😀🎬🍿', 'e\u0301', '\uFEFF', '<script>alert(1)</script>', ' ', '', 'x'.repeat(100_000), '"', '*', 'a*', 'NEAR(a b)', 'a:b', '{title}: a', '&|!', 'a & !b | c:*', '(', 'AND OR NOT', 'x'.repeat(200), Array.from({ length: 60 }, (_, i) => `w${i}`).join(' ').slice(0, 200)];
  // eslint-disable-next-line no-control-regex -- U+0000 is the very character this looks for
  const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

  /** The string-typed properties of a schema (nullable ones included). */
  function textFields(schemaIn: JsonSchema | undefined): string[] {
    if (!schemaIn) return [];
    const schema = resolve(schemaIn, doc);
    const isText = (p: JsonSchema): boolean => {
      const r = resolve(p, doc);
      const types = Array.isArray(r.type) ? r.type : [r.type];
      return !r.enum && (types.includes('string') || (r.anyOf ?? r.oneOf ?? []).some(isText));
    };
    return Object.entries(schema.properties ?? {}).filter(([, p]) => isText(p)).map(([name]) => name);
  }

  it('answers every hostile text in every text field of every operation: 422 at the field for what cannot be stored', async (t) => {
    const failures: string[] = [];
    let tried = 0;
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, opIn] of Object.entries(ops)) {
        if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
        const op = { ...opIn, method, path } as Operation;
        // The first valid case of each part, so only the field under test is hostile.
        const sample = <T>(arb: fc.Arbitrary<T>): T => fc.sample(arb, { numRuns: 1, seed: 42 })[0]!;
        const concretePath = path.replace(/\{[^}]+\}/g, '1');
        const content = op.requestBody?.content ?? {};
        const targets: { part: 'body' | 'form' | 'query'; field: string; schema: JsonSchema }[] = [];
        for (const field of textFields(content['application/json']?.schema)) targets.push({ part: 'body', field, schema: content['application/json']!.schema });
        for (const field of textFields(content['application/x-www-form-urlencoded']?.schema)) targets.push({ part: 'form', field, schema: content['application/x-www-form-urlencoded']!.schema });
        for (const p of (op.parameters ?? []).filter((p) => p.in === 'query' && textFields({ properties: { [p.name]: p.schema } }).length > 0)) {
          targets.push({ part: 'query', field: p.name, schema: p.schema });
        }
        for (const target of targets) {
          for (const text of HOSTILE_TEXTS) {
            let body: FuzzRequest['body'];
            let query = '';
            if (target.part === 'query') {
              query = `?${encode(target.field)}=${encode(text)}`;
            } else {
              const base = { ...(sample(valid(target.schema, doc)) as Record<string, unknown>), [target.field]: text };
              if (target.part === 'body') body = { payload: JSON.stringify(base), contentType: 'application/json' };
              else {
                const form = new URLSearchParams();
                for (const [k, v] of Object.entries(base)) if (k !== target.field) form.append(k, String(v));
                // encode() keeps a lone surrogate as the bytes WTF-8 gives it, which URLSearchParams would replace.
                body = { payload: `${form.toString()}&${encode(target.field)}=${encode(text)}`, contentType: 'application/x-www-form-urlencoded' };
              }
            }
            const label = `${method.toUpperCase()} ${concretePath}${query.slice(0, 60)} ${target.part}.${target.field}=${JSON.stringify(text.slice(0, 20))}`;
            const problem = await send(op, { who: 'admin', path: concretePath, query, body, label });
            tried++;
            if (problem) {
              failures.push(`${label}: ${problem}`);
              continue;
            }
            // The decoded value: a form or query cannot carry a lone surrogate (percent-decoding refuses it), only %00.
            const arrives = target.part === 'body' ? text : text.includes('\u0000') ? text : '';
            if (UNSTORABLE.test(arrives)) {
              const res = lastAnswer!;
              const loc = [target.part === 'query' ? 'query' : 'body', target.field];
              const issues = res.statusCode === 422 ? res.json<{ detail: { loc: unknown[]; type: string }[] }>().detail : [];
              // At that field: for this text (string_unicode), or for another rule it breaks first (too short, the pattern).
              if (!issues.some((i) => JSON.stringify(i.loc) === JSON.stringify(loc))) {
                failures.push(`${label}: expected 422 at ${JSON.stringify(loc)}, got ${res.statusCode} ${res.body.slice(0, 200)}`);
              }
            }
          }
        }
      }
    }
    t.diagnostic(`hostile texts: ${tried} requests`);
    assert.ok(tried > 200, `only ${tried} text-field cases: the document lost its text fields?`);
    assert.deepEqual(failures, []);
  });

  it('never answers 5xx, always answers errors with detail and successes with the declared shape', async (t) => {
    const operations: Operation[] = Object.entries(doc.paths).flatMap(([p, ops]) =>
      Object.entries(ops)
        .filter(([m]) => ['get', 'head', 'post', 'put', 'patch', 'delete'].includes(m))
        .map(([method, op]) => ({ ...op, method, path: p }) as Operation),
    );
    assert.ok(operations.length >= 25, `only ${operations.length} operations in the document`);
    const failures: string[] = [];
    for (const op of operations) {
      // Account-changing operations cost an argon2 hash per case; fewer of them keep the run short.
      const hashes = /\/users(\/login|\/me\/password|\/me)?$|^\/auth$/.test(op.path) && op.method !== 'get';
      const numRuns = hashes ? Math.max(5, Math.floor(RUNS / 4)) : RUNS;
      const arb = fc
        .record({ who: fc.constantFrom<Who>('admin', 'user', 'anonymous'), path: pathArb(op, doc), query: queryArb(op, doc), body: bodyArb(op, doc) })
        .map((r) => ({ ...r, label: `${op.method.toUpperCase()} ${r.path}${r.query} as ${r.who}${describeBody(r.body)}` }));
      let problem: string | undefined;
      try {
        await fc.assert(
          fc.asyncProperty(arb, async (req) => {
            const found = await send(op, req);
            if (found) {
              problem = `${req.label}: ${found}`;
              throw new Error(problem);
            }
          }),
          { numRuns, endOnFailure: true },
        );
      } catch (err) {
        // fast-check's own message prints the whole counterexample (megabytes of upload bytes); the seed replays it.
        const seed = /seed: (-?\d+)/.exec((err as Error).message)?.[1];
        failures.push(`${problem ?? (err as Error).message.slice(0, 300)} (fast-check seed ${seed})`);
      }
    }
    t.diagnostic(`fuzz: ${cases} requests over ${operations.length} operations (${RUNS} runs each); statuses ${JSON.stringify(Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])))}`);
    t.diagnostic(`fuzz: ${failures.length} failing operations`);
    assert.deepEqual(failures, []);
  });

  // Regressions the fuzzer found. A multipart body that ends before its closing boundary (the
  // client's Content-Length agreeing) made busboy fail the file part before the upload code
  // listened: the poster request never got an answer, the trailer one got a 500.
  for (const kind of ['poster', 'trailer'] as const) {
    for (const method of ['POST', 'PUT'] as const) {
      it(`${method} ${kind}: a multipart body cut before its closing boundary is a 400, promptly`, async () => {
        const movie = await createMovie(ctx.app, tokens.admin, { title: `Cut ${kind} ${method}` });
        const data = mediaFixture(kind === 'poster' ? 'poster.png' : 'trailer.mp4');
        for (const keep of [data.length, Math.floor(data.length / 2), 10]) {
          const body = multipartBody([{ name: 'file', filename: 'a.bin', data: data.subarray(0, keep) }]);
          const cut = body.payload.subarray(0, body.payload.length - 40);
          const res = await Promise.race([
            ctx.app.inject({ method, url: `/api/v1/movies/${movie.id}/${kind}`, headers: { ...bearer(tokens.admin), 'content-type': body.contentType }, payload: cut }),
            new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 5000).unref()),
          ]);
          assert.notEqual(res, 'timeout', `no answer (${keep} bytes of file)`);
          if (res === 'timeout') return;
          assert.equal(res.statusCode, 400, res.body);
          assert.equal(res.json<{ detail: string }>().detail, 'Malformed multipart body');
        }
        const movieNow = (await ctx.app.inject({ method: 'GET', url: `/api/v1/movies/${movie.id}` })).json<Record<string, unknown>>();
        assert.equal(movieNow[`${kind}_url`], null, 'a cut upload left a file behind');
      });
    }
  }

  it('leaves the database whole and the review aggregates exact', async () => {
    assert.deepEqual(await dbProblemsOf(ctx), []);
  });
});

/**
 * The contract check: every response the behaviour suite receives from an app built by
 * helpers.ts is checked against that app's own OpenAPI document (`app.swagger()`, what
 * /openapi.json serves) when the app is closed. A response passes when
 *
 *   - its operation is in the document (HEAD falls back to the GET it mirrors, RFC 9110 §9.3.2,
 *     where the document does not list the HEAD itself);
 *   - its status is declared for that operation, exactly or by its range (`4XX`);
 *   - every header the document marks `required` for that status is there;
 *   - its Content-Type is one the status declares, a JSON body matches the declared schema
 *     (JSON Schema 2020-12, as OpenAPI 3.1 says), and a status declared without content has none.
 *
 * So a status, header or shape the server sends and the document does not tell fails the test
 * file that got it, listing each mismatch once.
 */
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { FastifyInstance } from 'fastify';

export interface Exchange {
  method: string;
  /** The route pattern that answered (`/api/v1/movies/:id`); undefined when no route matched. */
  route: string | undefined;
  url: string;
  status: number;
  headers: Record<string, unknown>;
  /** The body when it was sent as text or bytes with a JSON type; streams and files are not kept. */
  body: string | undefined;
  /** Bytes of a body sent as a string or a Buffer (-1 for a stream). */
  length: number;
}

interface Header {
  required?: boolean;
}
interface Response {
  headers?: Record<string, Header>;
  content?: Record<string, { schema?: object }>;
}
interface Operation {
  responses: Record<string, Response>;
}
export interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>;
  components?: object;
}

/**
 * What the document describes: the API. Everything else an app serves is deliberately left out
 * of it and of this check: the web client's pages and files (`/`, `/assets/…`, index.html for
 * the client's own routes), Swagger UI (`/docs…`) and the document itself (`/openapi.json`),
 * which are HTML, scripts, styles and a document about the API rather than operations of it. A
 * route inside these prefixes that the document lacks is a mismatch.
 */
const API_ROUTE = /^\/(?:api\/|auth$|healthz$|readyz$)/;

const openapiPath = (route: string): string => route.replace(/:(\w+)/g, '{$1}');
const essence = (contentType: unknown): string | undefined =>
  typeof contentType === 'string' ? contentType.split(';', 1)[0]!.trim().toLowerCase() : undefined;

/** Records what every request of `app` got; must be called before `app.ready()`. */
export function recordExchanges(app: FastifyInstance): Exchange[] {
  const exchanges: Exchange[] = [];
  // Added last at the root, it runs after the root hooks that change the answer (the ETag
  // plugin's 304); route hooks that run later only read it.
  app.addHook('onSend', (request, reply, payload, done) => {
    const headers = reply.getHeaders();
    const json = essence(headers['content-type'])?.endsWith('json') === true;
    const text = typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString('utf8') : undefined;
    exchanges.push({
      method: request.method,
      route: request.routeOptions.url,
      url: request.url,
      status: reply.statusCode,
      headers: { ...headers },
      body: json ? text : undefined,
      length: text === undefined ? (payload === null || payload === undefined ? 0 : -1) : Buffer.byteLength(text),
    });
    done(null, payload);
  });
  return exchanges;
}

const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats.default(ajv);
// Shared by every app of a test process: the documents differ little, compiling is the cost.
const validators = new Map<string, ValidateFunction>();

function validatorFor(schema: object, doc: OpenApiDocument): ValidateFunction {
  // The document's components ride along so that "#/components/…" references resolve.
  const root = { ...schema, components: doc.components ?? {} };
  const key = JSON.stringify(root);
  let validate = validators.get(key);
  if (!validate) {
    validate = ajv.compile(root);
    validators.set(key, validate);
  }
  return validate;
}

/** The mismatches between the exchanges and the document, each once, with how often it happened. */
export function contractProblems(doc: OpenApiDocument, exchanges: readonly Exchange[]): string[] {
  const found = new Map<string, { first: string; count: number }>();
  const problem = (x: Exchange, what: string) => {
    const key = `${x.method} ${x.route} → ${x.status}: ${what}`;
    const seen = found.get(key) ?? { first: `${x.method} ${x.url.slice(0, 120)}`, count: 0 };
    seen.count += 1;
    found.set(key, seen);
  };
  for (const x of exchanges) {
    // No route answered (unknown path, 405, OPTIONS, a URL that does not decode): no operation to hold it to.
    if (x.route === undefined || !API_ROUTE.test(x.route)) continue;
    const item = doc.paths[openapiPath(x.route)];
    const op = item?.[x.method.toLowerCase()] ?? (x.method === 'HEAD' ? item?.get : undefined);
    if (!op) {
      problem(x, 'the operation is not in the document');
      continue;
    }
    const declared = op.responses[String(x.status)] ?? op.responses[`${Math.floor(x.status / 100)}XX`] ?? op.responses.default;
    if (!declared) {
      problem(x, `status not declared (the document has ${Object.keys(op.responses).join(', ')})`);
      continue;
    }
    for (const [name, header] of Object.entries(declared.headers ?? {})) {
      if (header.required && x.headers[name.toLowerCase()] === undefined) problem(x, `required header ${name} missing`);
    }
    // A HEAD answer has no body to check; a 204 or 304 must have none.
    if (x.method === 'HEAD') continue;
    if (x.status === 204 || x.status === 304 || !declared.content) {
      if (x.length !== 0) problem(x, 'a body where the document declares none');
      continue;
    }
    const type = essence(x.headers['content-type']);
    const media = type === undefined ? undefined : declared.content[type];
    if (!media) {
      problem(x, `Content-Type ${String(x.headers['content-type'])} not declared (the document has ${Object.keys(declared.content).join(', ')})`);
      continue;
    }
    if (type !== 'application/json' || !media.schema || x.body === undefined) continue;
    let body: unknown;
    try {
      body = JSON.parse(x.body);
    } catch {
      problem(x, `body is not JSON: ${x.body.slice(0, 80)}`);
      continue;
    }
    const validate = validatorFor(media.schema, doc);
    if (!validate(body)) problem(x, `body does not match the schema: ${ajv.errorsText(validate.errors, { separator: '; ' })}`);
  }
  return [...found].map(([what, { first, count }]) => `${what} (first: ${first})${count > 1 ? ` ×${count}` : ''}`);
}

/** An Error listing the problems, for the test that owns the app to fail with. */
export function contractError(problems: string[]): Error {
  const shown = problems.slice(0, 30);
  const more = problems.length > shown.length ? `\n  … and ${problems.length - shown.length} more` : '';
  return new Error(
    `${problems.length} response(s) that the OpenAPI document does not describe (test/contract.ts):\n  ${shown.join('\n  ')}${more}`,
  );
}

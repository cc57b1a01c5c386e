import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ERRORS, ERROR_CODES } from '../src/domain/errors.js';
import { ISSUES, ISSUE_TYPES } from '../src/domain/issues.js';
import { en } from '../web/src/i18n/en.js';
import { es } from '../web/src/i18n/es.js';
import { type TestContext, startApp } from './support/app.js';

/*
 * Every error the API can answer has a stable code (src/domain/errors.ts) and every invalid-field
 * kind a type (src/domain/issues.ts); the web client words each in the reader's language by them.
 * The contract check (test/support/contract.ts) already fails any answer whose code the document
 * does not list; this fails any code the document lists that either language cannot say.
 */

/** The `code` and 422 `type` enums, as the OpenAPI document declares them. */
function enumsOf(doc: unknown): { codes: Set<string>; types: Set<string> } {
  const codes = new Set<string>();
  const types = new Set<string>();
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (node === null || typeof node !== 'object') return;
    const n = node as { properties?: Record<string, { enum?: string[] }> };
    for (const value of n.properties?.code?.enum ?? []) codes.add(value);
    if (n.properties?.loc) for (const value of n.properties.type?.enum ?? []) types.add(value);
    Object.values(node).forEach(walk);
  };
  walk(doc);
  return { codes, types };
}

describe('error texts in the web client', () => {
  let ctx: TestContext;
  let codes: Set<string>;
  let types: Set<string>;
  before(async () => {
    ctx = await startApp();
    ({ codes, types } = enumsOf((await ctx.app.inject('/openapi.json')).json()));
  });
  after(() => ctx.close());

  it('the document lists every code and type of the catalogue, and nothing else', () => {
    assert.deepEqual([...codes].sort(), [...ERROR_CODES].sort());
    assert.deepEqual([...types].sort(), [...ISSUE_TYPES].sort());
  });

  it('every code and every invalid-field type has a text in English and in Spanish, and the Spanish one is Spanish', () => {
    const ctxOf = { limit: 10485760, accepted: 'JPEG, PNG or WebP images', types: 'image/jpeg, image/png', retry_after: 30, max_depth: 32, min_length: 3, max_length: 50, ge: 1, le: 5, gt: 0, lt: 6, expected: "'a' or 'b'", max_megapixels: 50 };
    const missing: string[] = [];
    for (const code of codes) {
      for (const [lang, t] of [['en', en], ['es', es]] as const) {
        const text = (t.errors as Record<string, ((c: object) => string) | undefined>)[code]?.(ctxOf);
        if (typeof text !== 'string' || text.length === 0) missing.push(`${lang} error ${code}`);
      }
      const [english, spanish] = [en, es].map((t) => (t.errors as Record<string, (c: object) => string>)[code]!(ctxOf));
      if (english === spanish) missing.push(`es error ${code} is the English text`);
    }
    for (const type of types) {
      for (const [lang, t] of [['en', en], ['es', es]] as const) {
        const text = (t.issues as Record<string, ((c: object) => string) | undefined>)[type]?.(ctxOf);
        if (typeof text !== 'string' || text.length === 0) missing.push(`${lang} issue ${type}`);
      }
    }
    assert.deepEqual(missing, []);
  });

  it('says in Spanish what each refusal of a review means (no more "solo su autor puede cambiar" for a deletion)', () => {
    assert.match(es.errors.not_review_author_or_admin({}), /borrar/);
    assert.match(es.errors.not_review_author({}), /cambiar/);
    assert.match(ERRORS.not_review_author_or_admin.detail({}), /delete/);
  });

  it('keeps the API’s English texts what the course says they are', () => {
    assert.equal(ERRORS.review_exists.detail({}), 'Already created a review');
    assert.equal(ERRORS.invalid_credentials.detail({}), 'Incorrect username or password');
    assert.equal(ISSUES.missing.msg({}), 'Field required');
  });
  it('writes counts as each language does: grouped thousands in English, Spanish groups from five digits', () => {
    assert.equal(en.movieCount(1_000_024), '1,000,024 movies');
    assert.equal(es.movieCount(1_000_024), '1.000.024 películas');
    assert.equal(es.reviewCount(2500), '2500 reseñas');
    assert.equal(en.reviewCount(2500), '2,500 reviews');
    assert.equal(es.resultCount(12_345, 'amor'), '12.345 películas coinciden con «amor»');
  });
});

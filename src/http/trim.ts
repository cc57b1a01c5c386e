import type { FastifyRequest } from 'fastify';

/**
 * A preValidation hook that trims the named string fields of a JSON body (and the strings of an
 * array field), so the schema's length
 * rules apply to the trimmed text (as pydantic's `strip_whitespace`): text that is only white
 * space fails `minLength` and is listed together with every other invalid field, and surrounding
 * spaces do not count towards `maxLength`.
 */
export function trimBodyFields(...fields: string[]) {
  return async (request: FastifyRequest): Promise<void> => {
    const body = request.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return;
    const record = body as Record<string, unknown>;
    for (const field of fields) {
      const value = record[field];
      if (typeof value === 'string') record[field] = value.trim();
      else if (Array.isArray(value)) record[field] = value.map((v: unknown) => (typeof v === 'string' ? v.trim() : v));
    }
  };
}

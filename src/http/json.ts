/** What every JSON answer carries: RFC 8259 defines no charset parameter, and FastAPI sends none. */
export const JSON_TYPE = 'application/json';

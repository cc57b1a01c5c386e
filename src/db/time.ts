/** Now, as every timestamp is stored: an ISO 8601 UTC string, which sorts as text on both databases. */
export function nowIso(): string {
  return new Date().toISOString();
}

/**
 * Text compared the way people read it: without case or accents. One place for the rule, so the
 * director filter, the search's words and Letterboxd's matching agree on what "the same" means.
 */

/** Lower case, accents (combining marks) removed, runs of spaces as one: "Pedro  Almodóvar" → "pedro almodovar". */
export function foldText(text: string): string {
  return text.normalize('NFD').replace(/\p{Mn}/gu, '').normalize('NFC').toLowerCase().replace(/\s+/gu, ' ').trim();
}

/** At most this many words of a search are used; the rest are ignored (a 200-character query can hold 100). */
export const MAX_SEARCH_WORDS = 30;

/**
 * The words of a search: runs of letters and digits, folded; everything else (punctuation, the
 * full-text engines' operators: `"`, `*`, `:`, `&`, `|`, `!`, parentheses) only separates words,
 * so any query is searched as text and none is a syntax error. Repeats count once.
 */
export function searchWords(q: string): string[] {
  const words = foldText(q).match(/[\p{L}\p{N}]+/gu) ?? [];
  return [...new Set(words)].slice(0, MAX_SEARCH_WORDS);
}

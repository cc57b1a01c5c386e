/**
 * Text compared the way people read it: without case or accents. One place for the rule, so the
 * director filter and the search's words agree on what "the same" means.
 */

/** Lower case, accents (combining marks) removed, runs of spaces as one: "Pedro  Almodóvar" → "pedro almodovar". */
export function foldText(text: string): string {
  return text.normalize('NFD').replace(/\p{Mn}/gu, '').normalize('NFC').toLowerCase().replace(/\s+/gu, ' ').trim();
}

/** Latin letters that are not a letter plus an accent, so NFD leaves them: read as their base letters. */
const BASE_LETTERS: Record<string, string> = { ł: 'l', ø: 'o', đ: 'd', ħ: 'h', ı: 'i', ß: 'ss', æ: 'ae', œ: 'oe', þ: 'th', ŀ: 'l' };
const BASE_LETTER = new RegExp(`[${Object.keys(BASE_LETTERS).join('')}]`, 'gu');

/**
 * A name as a key: folded, and with the letters above as their base letters too, so
 * `pawel pawlikowski` finds Paweł Pawlikowski's films (the director filter's key, computed here
 * for both databases). Search words are folded without them: SQLite's FTS5 keeps those letters.
 */
export function nameKey(name: string): string {
  return foldText(name).replace(BASE_LETTER, (c) => BASE_LETTERS[c]!);
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

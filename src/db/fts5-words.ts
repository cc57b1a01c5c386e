import SQLite from 'better-sqlite3';

/**
 * A search's words as FTS5 reads them. src/domain/text.ts cuts a search into runs of what
 * JavaScript's Unicode tables call letters and digits; FTS5's unicode61 tokenizer has tables of
 * its own, and a few characters are letters to one and separators to the other (in SQLite 3.53
 * under Node 20: New Tai Lue's U+19B0–19C9 and the Vedic U+1CF2–1CF3; a newer Node knows more).
 * Sent as one quoted word, such a run is two tokens: a phrase, which an index with
 * `detail=column` (migration 0012) refuses with an error. So a word is cut where FTS5 cuts it.
 *
 * Which characters FTS5 reads as part of a word is asked of FTS5 itself, once per character
 * outside Latin (an index in memory, of this one process), and remembered.
 */

let probe: SQLite.Statement | undefined;
const known = new Map<string, boolean>();
/** At most this many characters remembered (a search may bring any of a million): past it, each is asked again. */
const KNOWN_MAX = 20_000;

/** FTS5 reads `c` (a letter or digit to JavaScript) as part of a word, not as a separator. */
function inWord(c: string): boolean {
  // Latin, and the rest of the first 0x250 code points: the two tables agree (test/search.test.ts checks them all).
  if (c.codePointAt(0)! < 0x250) return true;
  const seen = known.get(c);
  if (seen !== undefined) return seen;
  if (probe === undefined) {
    const db = new SQLite(':memory:');
    db.exec("create virtual table probe using fts5(a, tokenize='unicode61 remove_diacritics 2', detail=column)");
    probe = db.prepare('select rowid from probe where probe match ?');
  }
  let joined = true;
  try {
    probe.all(`"a${c}b"`);
  } catch {
    joined = false; // two tokens: a phrase
  }
  if (known.size < KNOWN_MAX) known.set(c, joined);
  return joined;
}

/** The words cut where FTS5 would cut them; each then reads as one token. */
export function fts5Words(words: readonly string[]): string[] {
  return words.flatMap((word) => {
    const chars = [...word];
    if (chars.every(inWord)) return [word];
    const parts: string[] = [];
    let run = '';
    for (const c of chars) {
      if (inWord(c)) run += c;
      else if (run !== '') {
        parts.push(run);
        run = '';
      }
    }
    if (run !== '') parts.push(run);
    return parts;
  });
}

/** The diary module: members' viewings of movies, whose ratings become theirs, and what a member has done with a movie. */
export { default as diaryRoutes } from './routes.js';
export { type ImportedEntry, createEntry, findEntriesByIds, insertImportedEntries } from './data.js';
export { Entry } from './schemas.js';

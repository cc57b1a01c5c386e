/**
 * The media module: the files of a movie (poster, trailer) in the media store, their rows, the
 * key layout, the routes that upload and serve them, and the sweep of leftovers. It sits below
 * the movies module and imports none of it; the movies module registers its routes.
 */
export { default as mediaRoutes, type MediaRoutesOptions } from './routes.js';
export { default as mediaSweep } from './sweep.js';
export { mediaPrefixesOfMovie, saveMedia } from './data.js';
export { mediaUrl } from './keys.js';
export { ORPHAN_GRACE_MS, type WarnLog, inspectOptions, inspectStream, removeFiles, storeMedia, sweepOrphans } from './service.js';

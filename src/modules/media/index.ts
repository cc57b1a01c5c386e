/**
 * The media module: the files of a movie (poster, trailer) and of a member (avatar) in the media
 * store, their rows, the key layout, the routes that upload and serve them, and the sweep of
 * leftovers. It sits below the movies and users modules and imports neither; each registers its
 * routes.
 */
export { default as mediaRoutes, type MediaRoutesOptions } from './routes.js';
export { default as avatarRoutes, type AvatarRoutesOptions } from './avatar-routes.js';
export { default as mediaSweep } from './sweep.js';
export { deleteAvatar, mediaPrefixesOfMovie, saveAvatar, saveMedia } from './data.js';
export { avatarUrl, mediaUrl } from './keys.js';
export {
  AVATAR_INSPECT,
  ORPHAN_GRACE_MS,
  type WarnLog,
  inspectOptions,
  inspectStream,
  removeFiles,
  storeAvatar,
  storeMedia,
  sweepOrphans,
} from './service.js';

/**
 * The client's pages, by path pattern. One list for both sides: app.tsx renders each, and the
 * build writes it to dist/web/routes.json so the server answers exactly these paths with the
 * client's index.html (200) whatever the request's Accept, and any other page path with it too but
 * as a 404 (src/plugins/web-client.ts). A `:id` segment is a positive whole number; any other
 * `:name` is one non-empty segment.
 */
export const CLIENT_ROUTES = [
  '/',
  '/login',
  '/signup',
  '/forgot-password',
  '/reset-password',
  '/account',
  '/account/profile',
  '/account/import',
  '/my-reviews',
  '/search',
  '/admin/movies/new',
  '/movies/:id',
  '/movies/:id/edit',
  '/u/:username',
  '/u/:username/diary',
  '/u/:username/watchlist',
  '/u/:username/lists',
  '/u/:username/followers',
  '/u/:username/following',
  '/feed',
  '/lists/new',
  '/lists/:id',
  '/lists/:id/edit',
] as const;

export type ClientRoute = (typeof CLIENT_ROUTES)[number];

/**
 * The activity module: what members did, recorded by the modules that do it (reviews, diary,
 * watchlist, lists, follows) in their own transactions, and copied into the feeds of the members
 * who follow them (fan-out on write). The feed module reads it.
 */
export { type ActivityRow, type NewActivity, FEED_BACKFILL, asHistory, feedFollowed, feedUnfollowed, lockFeedsForFollow, readFeed, rebuildActivities, recordActivity } from './data.js';

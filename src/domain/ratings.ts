/**
 * The rating scale, stored as whole half stars (1 = ½ star … 10 = 5 stars) so sums and the
 * histogram are exact integers, and the weighted average that `sort=rating` orders by.
 */

export const MIN_HALVES = 1;
export const MAX_HALVES = 10;

/** Stars (0.5–5.0, in halves) as stored. */
export const halvesOf = (rating: number): number => Math.round(rating * 2);
export const ratingOf = (halves: number): number => halves / 2;

/**
 * The course's whole-number score of a rating: half stars rounded half up (0.5 → 1, 3.5 → 4).
 * In halves that is ⌈halves / 2⌉.
 */
export const scoreOfHalves = (halves: number): number => Math.ceil(halves / 2);

/**
 * The Bayesian average of `sort=rating`: a movie's ratings pulled towards a prior of PRIOR_WEIGHT
 * imaginary ratings of PRIOR_MEAN stars,
 *
 *   weighted = (sum of its ratings + PRIOR_WEIGHT × PRIOR_MEAN) / (its rating count + PRIOR_WEIGHT)
 *
 * so one 5-star rating (3.18) stays below 200 ratings averaging 4.4 (4.33). The prior is fixed,
 * not the site's running mean, so the stored value (and its index) only moves when the movie's own
 * ratings do. A movie nobody rated stores 0: last when the best come first.
 */
export const PRIOR_MEAN = 3;
export const PRIOR_WEIGHT = 10;

export function weightedRating(halvesSum: number, count: number): number {
  return count === 0 ? 0 : (halvesSum / 2 + PRIOR_WEIGHT * PRIOR_MEAN) / (count + PRIOR_WEIGHT);
}

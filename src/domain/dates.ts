/**
 * The calendar dates a member can say they watched something on: from the year of the first
 * motion picture (the year rule of movies too) to tomorrow, since "today" somewhere east of UTC is
 * already tomorrow there.
 */
export const EARLIEST_DATE = '1878-01-01';

/** Tomorrow's UTC date, 'YYYY-MM-DD'. */
export function latestDate(now = new Date()): string {
  return new Date(now.getTime() + 24 * 60 * 60 * 1000).toISOString().slice(0, 10);
}

/** True for a real calendar date in 'YYYY-MM-DD' form (not 2025-02-30). */
export function isCalendarDate(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const date = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === text;
}

import type { Problem } from '../api/problem';
import { useI18n } from '../i18n';

/** A failure that belongs to the whole form or page, announced as soon as it appears. */
export function Alert({ problem, onRetry }: { problem: Problem; onRetry?: () => void }) {
  const { t } = useI18n();
  if (!problem.message) return null;
  return (
    <div class="alert" role="alert">
      <p>{problem.message}</p>
      {problem.retry && onRetry && (
        <button type="button" class="button button--secondary" onClick={onRetry}>
          {t.retry}
        </button>
      )}
    </div>
  );
}

/**
 * A success message. The live region stays in the page even when empty, because screen readers
 * only announce changes to a region they already know.
 */
export function Status({ text }: { text: string | null }) {
  return (
    <p class="status" role="status">
      {text}
    </p>
  );
}

import { useEffect, useRef, useState } from 'preact/hooks';
import { api, call } from '../api/client';
import { useAction } from '../hooks/action';
import { forget } from '../hooks/resource';
import { useI18n } from '../i18n';
import { Alert } from './Alert';

/**
 * The heart under a review, with its count: a toggle (aria-pressed) that changes at once and goes
 * back, count included, when the API refuses (both writes are idempotent, so a repeated press is
 * harmless). Without a session it only shows the count.
 */
export function LikeButton({ reviewId, username, count, liked, signedIn }: { reviewId: number; username: string; count: number; liked: boolean | undefined; signedIn: boolean }) {
  const { t } = useI18n();
  const [state, setState] = useState({ on: liked ?? false, count });
  const action = useAction();
  // Once pressed, the button is the truth: a later copy of the review (its count as loaded before
  // the press) must not take it back.
  const touched = useRef(false);
  useEffect(() => {
    if (!touched.current) setState({ on: liked ?? false, count });
  }, [liked, count]);

  if (!signedIn || (liked === undefined && !touched.current)) return <span class="likes">{t.likeCount(count)}</span>;

  const toggle = () => {
    // One write at a time: a second press while the first is on its way would be dropped by the
    // action, and the heart would show what the server never got.
    if (action.pending) return;
    const before = state;
    const next = { on: !before.on, count: before.count + (before.on ? -1 : 1) };
    touched.current = true;
    void action.run(async () => {
      // Inside the work, so that Retry shows the change again too.
      setState(next);
      try {
        const path = { params: { path: { id: reviewId } } };
        if (next.on) await call(api.PUT('/api/v1/reviews/{id}/like', path));
        else await call(api.DELETE('/api/v1/reviews/{id}/like', path));
        forget('review-states:');
      } catch (err) {
        setState(before);
        throw err;
      }
    });
  };

  return (
    <span class="likes">
      <button type="button" class="button button--toggle button--small" aria-pressed={state.on ? 'true' : 'false'} aria-label={t.likeReviewBy(username, state.count)} onClick={toggle}>
        <svg viewBox="0 0 24 24" width="16" height="16" aria-hidden="true" focusable="false">
          <path
            d="M12 21s-7.5-4.6-9.6-9.3C.9 8.3 3 4.5 6.7 4.5c2.1 0 3.6 1.1 4.3 2.4.7-1.3 2.2-2.4 4.3-2.4 3.7 0 5.8 3.8 4.3 7.2C19.5 16.4 12 21 12 21z"
            fill={state.on ? 'currentColor' : 'none'}
            stroke="currentColor"
            stroke-width="2"
          />
        </svg>
        <span aria-hidden="true">{state.count}</span>
      </button>
      <Alert problem={action.problem} onRetry={action.retry} />
    </span>
  );
}

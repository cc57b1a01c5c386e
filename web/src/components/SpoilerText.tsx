import { useEffect, useRef, useState } from 'preact/hooks';
import { useI18n } from '../i18n';

/**
 * A review's text that gives the film away: a warning and a button until the reader asks. The
 * text is not in the page at all before that (nor in the accessibility tree), so neither a glance
 * nor a screen reader reading on gives it away; once shown, the focus moves to it.
 */
export function SpoilerText({ text }: { text: string }) {
  const { t } = useI18n();
  const [shown, setShown] = useState(false);
  const body = useRef<HTMLParagraphElement>(null);
  // Once, when it is revealed: not on every later render (a "Load more" would pull the focus back).
  useEffect(() => {
    if (shown) body.current?.focus();
  }, [shown]);
  if (shown) {
    return (
      <p class="review__text" tabIndex={-1} ref={body}>
        {text}
      </p>
    );
  }
  return (
    <p class="spoiler">
      <span class="spoiler__warning">{t.spoilerWarning}</span>{' '}
      <button type="button" class="button button--secondary button--small" onClick={() => setShown(true)}>
        {t.showSpoiler}
      </button>
    </p>
  );
}

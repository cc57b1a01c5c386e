import { useEffect, useRef, useState } from 'preact/hooks';
import { useI18n } from '../i18n';

interface ConfirmButtonProps {
  /** The danger button's name ("Delete review"). */
  label: string;
  /** What is asked once it is pressed ("Delete your review? It cannot be undone."). */
  question: string;
  /** The button that does it ("Yes, delete it"). */
  confirm: string;
  onConfirm: () => void | Promise<void>;
}

/**
 * A destructive action in two steps: the first press asks, in place, and moves the focus to the
 * confirming button; Cancel (or Escape) puts things back and the focus on the first button.
 */
export function ConfirmButton({ label, question, confirm, onConfirm }: ConfirmButtonProps) {
  const { t } = useI18n();
  const [asking, setAsking] = useState(false);
  const first = useRef<HTMLButtonElement>(null);
  const yes = useRef<HTMLButtonElement>(null);
  const wasAsking = useRef(false);

  useEffect(() => {
    if (asking) yes.current?.focus();
    else if (wasAsking.current) first.current?.focus();
    wasAsking.current = asking;
  }, [asking]);

  if (!asking) {
    return (
      <button ref={first} type="button" class="button button--danger" onClick={() => setAsking(true)}>
        {label}
      </button>
    );
  }
  return (
    <span class="confirm" role="group" aria-label={label} onKeyDown={(e) => e.key === 'Escape' && setAsking(false)}>
      <span class="confirm__question">{question}</span>
      <button
        ref={yes}
        type="button"
        class="button button--danger"
        onClick={() => {
          setAsking(false);
          void onConfirm();
        }}
      >
        {confirm}
      </button>
      <button type="button" class="button button--secondary" onClick={() => setAsking(false)}>
        {t.cancel}
      </button>
    </span>
  );
}

import { useRef, useState } from 'preact/hooks';
import { useI18n } from '../i18n';
import { Stars } from './Stars';

const STEP = 0.5;
const MAX = 5;

/** The half star under a pointer at `x` on a row `width` wide: 0.5–5, rounded up as the eye reads it. */
function valueAt(x: number, width: number): number {
  const fraction = Math.max(0, Math.min(1, x / width));
  return Math.max(STEP, Math.ceil(fraction * (MAX / STEP)) * STEP);
}

interface StarInputProps {
  /** The rating in stars, or null: nothing chosen yet (nothing is chosen for the person). */
  value: number | null;
  onChange: (value: number) => void;
  /** The id of the element that names it (its visible label). */
  labelledBy: string;
  describedBy?: string | undefined;
  invalid?: boolean;
}

/**
 * A half-star rating control: a slider from 0.5 to 5 stars in steps of 0.5. Arrow keys move by a
 * half star, Page Up/Down by a star, Home and End go to the ends; a click or a touch (or a drag)
 * on the stars picks the half star under it. Until something is chosen it says so ("Not rated")
 * and holds no value: a careless click elsewhere publishes nothing. Its value is read out as
 * "3.5 stars out of 5".
 */
export function StarInput({ value, onChange, labelledBy, describedBy, invalid }: StarInputProps) {
  const { t } = useI18n();
  const [hover, setHover] = useState<number | null>(null);
  const dragging = useRef(false);
  const set = (next: number) => onChange(Math.max(STEP, Math.min(MAX, next)));

  const onKeyDown = (event: KeyboardEvent) => {
    const current = value ?? 0;
    const moves: Record<string, () => number> = {
      ArrowRight: () => current + STEP,
      ArrowUp: () => current + STEP,
      ArrowLeft: () => current - STEP,
      ArrowDown: () => current - STEP,
      PageUp: () => current + 1,
      PageDown: () => current - 1,
      Home: () => STEP,
      End: () => MAX,
    };
    const move = moves[event.key];
    if (!move) return;
    event.preventDefault();
    set(move());
  };

  // Measured on the stars themselves, not the padding and the number beside them.
  const at = (event: PointerEvent) => {
    const row = (event.currentTarget as HTMLElement).querySelector('.stars') ?? (event.currentTarget as HTMLElement);
    const box = row.getBoundingClientRect();
    return valueAt(event.clientX - box.left, box.width);
  };

  const shown = hover ?? value ?? 0;
  return (
    <div
      class={invalid ? 'star-input star-input--invalid' : 'star-input'}
      role="slider"
      tabIndex={0}
      aria-labelledby={labelledBy}
      aria-describedby={describedBy}
      aria-invalid={invalid ? 'true' : undefined}
      aria-valuemin={0}
      aria-valuemax={MAX}
      aria-valuenow={value ?? 0}
      aria-valuetext={value === null ? t.notRated : t.starsValue(value)}
      onKeyDown={onKeyDown}
      onPointerDown={(event) => {
        dragging.current = true;
        try {
          // Keeps a drag that leaves the stars going; a pointer the browser does not track has nothing to capture.
          (event.currentTarget as HTMLElement).setPointerCapture(event.pointerId);
        } catch {
          // (a synthetic event, or the pointer already gone)
        }
        set(at(event));
      }}
      onPointerMove={(event) => {
        const v = at(event);
        if (dragging.current) set(v);
        else if (event.pointerType === 'mouse') setHover(v);
      }}
      onPointerUp={() => {
        dragging.current = false;
      }}
      onPointerCancel={() => {
        dragging.current = false;
      }}
      onPointerLeave={() => setHover(null)}
    >
      <Stars value={shown} label="" size="md" decorative />
      <span class="star-input__value" aria-hidden="true">
        {value === null ? t.notRated : t.starsShort(value)}
      </span>
    </div>
  );
}

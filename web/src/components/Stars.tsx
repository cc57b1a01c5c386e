const STAR = 'M12 2.6l2.85 5.98 6.55.77-4.85 4.48 1.3 6.47L12 17.05l-5.85 3.25 1.3-6.47L2.6 9.35l6.55-.77z';

function Row() {
  return (
    <svg viewBox="0 0 120 24" width="120" height="24" aria-hidden="true" focusable="false">
      {[0, 24, 48, 72, 96].map((x) => (
        <path key={x} d={STAR} transform={`translate(${x} 0)`} />
      ))}
    </svg>
  );
}

/**
 * Five stars filled to `value` (0–5). One image to assistive technology, named by `label`
 * ("Average 4.33 out of 5"); the partial fill is a clipped second row, sized through the CSSOM
 * so that a strict Content-Security-Policy (no inline style attributes) allows it.
 */
export function Stars({ value, label, size = 'md', decorative = false }: { value: number; label: string; size?: 'sm' | 'md'; decorative?: boolean }) {
  const percent = Math.max(0, Math.min(100, (value / 5) * 100));
  // Decorative inside a control that says the value itself (the star input).
  const naming = decorative ? { 'aria-hidden': 'true' as const } : { role: 'img' as const, 'aria-label': label };
  return (
    <span class={`stars stars--${size}`} {...naming}>
      <span class="stars__track">
        <Row />
      </span>
      <span class="stars__fill" style={{ width: `${percent}%` }}>
        <Row />
      </span>
    </span>
  );
}

/**
 * Grey shapes where content is about to appear, so the page keeps its layout while loading.
 * They are hidden from screen readers; `label` is announced instead.
 */
export function CardsSkeleton({ count, label }: { count: number; label: string }) {
  return (
    <div>
      <p class="visually-hidden" role="status">
        {label}
      </p>
      <ul class="grid" aria-hidden="true">
        {Array.from({ length: count }, (_, i) => (
          <li key={i} class="card card--skeleton">
            <div class="poster skeleton" />
            <div class="card__body">
              <div class="skeleton skeleton--line" />
              <div class="skeleton skeleton--line skeleton--short" />
            </div>
          </li>
        ))}
      </ul>
    </div>
  );
}

export function LinesSkeleton({ lines = 3, label }: { lines?: number; label: string }) {
  return (
    <div class="lines-skeleton">
      <p class="visually-hidden" role="status">
        {label}
      </p>
      {Array.from({ length: lines }, (_, i) => (
        <div key={i} class={i === lines - 1 ? 'skeleton skeleton--line skeleton--short' : 'skeleton skeleton--line'} aria-hidden="true" />
      ))}
    </div>
  );
}

export function MovieSkeleton({ label }: { label: string }) {
  return (
    <div class="movie">
      <p class="visually-hidden" role="status">
        {label}
      </p>
      <div class="movie__poster" aria-hidden="true">
        <div class="poster skeleton" />
      </div>
      <div class="movie__info" aria-hidden="true">
        <div class="skeleton skeleton--title" />
        <div class="skeleton skeleton--line skeleton--short" />
        <div class="skeleton skeleton--line" />
        <div class="skeleton skeleton--line" />
        <div class="skeleton skeleton--line skeleton--short" />
      </div>
    </div>
  );
}

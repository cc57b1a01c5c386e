import type { User } from '../api/client';

const WIDTHS = [64, 128, 256] as const;

const at = (url: string, w: number): string => `${url}&w=${w}`;

/**
 * A member's avatar at `size` CSS pixels (the API keeps 64, 128 and 256 px squares), or their
 * initial on a disc when they have none. Decorative where their name is beside it (alt "").
 */
export function Avatar({ user, size, alt = '' }: { user: Pick<User, 'username' | 'avatar_url'>; size: 32 | 96; alt?: string }) {
  if (!user.avatar_url) {
    return (
      <span class={`avatar avatar--${size} avatar--empty`} aria-hidden={alt === '' ? 'true' : undefined} role={alt === '' ? undefined : 'img'} aria-label={alt || undefined}>
        {user.username.slice(0, 1).toUpperCase()}
      </span>
    );
  }
  const url = user.avatar_url;
  return (
    <img
      class={`avatar avatar--${size}`}
      src={at(url, size <= 32 ? 64 : 128)}
      srcset={WIDTHS.map((w) => `${at(url, w)} ${w}w`).join(', ')}
      sizes={`${size}px`}
      width={size}
      height={size}
      alt={alt}
      decoding="async"
    />
  );
}

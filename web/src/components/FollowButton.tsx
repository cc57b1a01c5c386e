import { useEffect, useState } from 'preact/hooks';
import { type User, api, call } from '../api/client';
import { useAction } from '../hooks/action';
import { forget } from '../hooks/resource';
import { useFollowing } from '../hooks/states';
import { useI18n } from '../i18n';
import { useSession } from '../session';
import { Alert } from './Alert';

/**
 * "Follow" on a member's profile, a toggle (aria-pressed; "Following" while on). It changes at
 * once and goes back if the API refuses; the profile's counts follow once it is stored. Not shown
 * on one's own profile nor to a visitor without a session.
 */
export function FollowButton({ user, onChanged }: { user: User; onChanged: () => Promise<void> }) {
  const { t } = useI18n();
  const { user: me } = useSession();
  const { following } = useFollowing(user.id);
  const [on, setOn] = useState(following ?? false);
  const action = useAction();
  useEffect(() => setOn(following ?? false), [following]);
  if (!me || me.id === user.id || following === undefined) return null;

  const toggle = () => {
    if (action.pending) return;
    const next = !on;
    void action.run(async () => {
      setOn(next);
      try {
        const path = { params: { path: { user_id: user.id } } };
        if (next) await call(api.PUT('/api/v1/users/me/following/{user_id}', path));
        else await call(api.DELETE('/api/v1/users/me/following/{user_id}', path));
        forget('follow-states:');
        forget('feed:');
        await onChanged();
      } catch (err) {
        setOn(!next);
        throw err;
      }
    });
  };
  return (
    <>
      <button type="button" class="button button--toggle" aria-pressed={on ? 'true' : 'false'} aria-label={t.followName(user.display_name ?? user.username)} onClick={toggle}>
        {on ? t.following : t.follow}
      </button>
      <Alert problem={action.problem} onRetry={action.retry} />
    </>
  );
}

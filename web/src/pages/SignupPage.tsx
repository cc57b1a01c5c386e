import { useEffect, useState } from 'preact/hooks';
import { api, call } from '../api/client';
import { Field } from '../components/Field';
import { Form } from '../components/Form';
import { useAction } from '../hooks/action';
import { useTitle } from '../hooks/title';
import { useI18n } from '../i18n';
import { Link, navigate, safeNext, useLocation, withQuery } from '../router';
import { useSession } from '../session';

const FIELDS = ['username', 'password'] as const;

/** Create an account, log in with it, and go back to `?next=`. */
export function SignupPage() {
  const { t } = useI18n();
  const { user, setUser } = useSession();
  const { query } = useLocation();
  const next = safeNext(query.get('next'));
  const action = useAction(FIELDS, { redirectOn401: false });
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  useTitle(t.signUpTitle);

  useEffect(() => {
    if (user) navigate(next, { replace: true });
  }, [user, next]);

  const submit = () =>
    action.run(async () => {
      const credentials = { username, password };
      await call(api.POST('/api/v1/users', { body: credentials }));
      // Registering does not open a session; the same credentials do, at once.
      const { data } = await call(api.POST('/api/v1/users/login', { body: credentials }));
      setUser(data);
    });

  return (
    <div class="narrow">
      <h1 id="signup-title">{t.signUpTitle}</h1>
      <Form action={action} onSubmit={submit} labelledBy="signup-title" class="form panel">
        <Field label={t.username} hint={t.usernameHint} error={action.problem.fields.username}>
          {(control) => (
            <input {...control} name="username" autocomplete="username" autocapitalize="none" spellcheck={false} required value={username} onInput={(e) => setUsername(e.currentTarget.value)} />
          )}
        </Field>
        <Field label={t.password} hint={t.passwordHint} error={action.problem.fields.password}>
          {(control) => (
            <input {...control} type="password" name="password" autocomplete="new-password" required value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
          )}
        </Field>
        <div class="form__actions">
          <button type="submit" class="button">
            {t.signUp}
          </button>
        </div>
      </Form>
      <p class="switch-form">
        {t.haveAccount} <Link href={withQuery('/login', { next: next === '/' ? undefined : next })}>{t.useAccount}</Link>
      </p>
    </div>
  );
}

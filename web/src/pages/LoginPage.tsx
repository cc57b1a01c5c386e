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

/** Log in, then go back to `?next=` (the page that sent the person here). */
export function LoginPage() {
  const { t } = useI18n();
  const { user, setUser } = useSession();
  const { query } = useLocation();
  const next = safeNext(query.get('next'));
  // A 401 here is the answer ("Incorrect username or password"), not a reason to come here again.
  const action = useAction(FIELDS, { redirectOn401: false });
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  useTitle(t.logInTitle);

  // Already logged in (another tab, the back button): nothing to do here.
  useEffect(() => {
    if (user) navigate(next, { replace: true });
  }, [user, next]);

  const submit = () =>
    action.run(async () => {
      const { data } = await call(api.POST('/api/v1/users/login', { body: { username, password } }));
      setUser(data);
    });

  return (
    <div class="narrow">
      <h1 id="login-title">{t.logInTitle}</h1>
      <Form action={action} onSubmit={submit} labelledBy="login-title" class="form panel">
        <Field label={t.username} error={action.problem.fields.username}>
          {(control) => (
            <input {...control} name="username" autocomplete="username" autocapitalize="none" spellcheck={false} required value={username} onInput={(e) => setUsername(e.currentTarget.value)} />
          )}
        </Field>
        <Field label={t.password} error={action.problem.fields.password}>
          {(control) => (
            <input {...control} type="password" name="password" autocomplete="current-password" required value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
          )}
        </Field>
        <div class="form__actions">
          <button type="submit" class="button">
            {t.logIn}
          </button>
        </div>
      </Form>
      <p class="switch-form">
        {t.noAccount} <Link href={withQuery('/signup', { next: next === '/' ? undefined : next })}>{t.createAccount}</Link>
      </p>
    </div>
  );
}

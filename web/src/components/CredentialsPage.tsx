import { useEffect, useState } from 'preact/hooks';
import { api, call } from '../api/client';
import { useAction } from '../hooks/action';
import { useTitle } from '../hooks/title';
import { useI18n } from '../i18n';
import { Link, navigate, safeNext, useLocation, withQuery } from '../router';
import { useSession } from '../session';
import { Field } from './Field';
import { Form } from './Form';

const FIELDS = ['username', 'password'] as const;

/**
 * The log-in and sign-up pages: the same two fields, a different call, and a link to the other.
 * Either way the person ends logged in and goes back to `?next=` (the page that sent them here).
 */
export function CredentialsPage({ mode }: { mode: 'login' | 'signup' }) {
  const { t } = useI18n();
  const { user, setUser } = useSession();
  const { query } = useLocation();
  const next = safeNext(query.get('next'));
  // A 401 here is the answer ("Incorrect username or password"), not a reason to come here again.
  const action = useAction(FIELDS, { redirectOn401: false });
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const signup = mode === 'signup';
  const titleId = `${mode}-title`;
  useTitle(signup ? t.signUpTitle : t.logInTitle);

  // Already logged in (another tab, the back button): nothing to do here.
  useEffect(() => {
    if (user) navigate(next, { replace: true });
  }, [user, next]);

  const submit = () =>
    action.run(async () => {
      const credentials = { username, password };
      // Registering does not open a session; the same credentials do, at once.
      if (signup) await call(api.POST('/api/v1/users', { body: credentials }));
      const { data } = await call(api.POST('/api/v1/users/login', { body: credentials }));
      setUser(data);
    });

  const other = withQuery(signup ? '/login' : '/signup', { next: next === '/' ? undefined : next });
  return (
    <div class="narrow">
      <h1 id={titleId}>{signup ? t.signUpTitle : t.logInTitle}</h1>
      <Form action={action} onSubmit={submit} labelledBy={titleId} class="form panel">
        <Field label={t.username} hint={signup ? t.usernameHint : undefined} error={action.problem.fields.username}>
          {(control) => (
            <input {...control} name="username" autocomplete="username" autocapitalize="none" spellcheck={false} required value={username} onInput={(e) => setUsername(e.currentTarget.value)} />
          )}
        </Field>
        <Field label={t.password} hint={signup ? t.passwordHint : undefined} error={action.problem.fields.password}>
          {(control) => (
            <input
              {...control}
              type="password"
              name="password"
              autocomplete={signup ? 'new-password' : 'current-password'}
              required
              value={password}
              onInput={(e) => setPassword(e.currentTarget.value)}
            />
          )}
        </Field>
        <div class="form__actions">
          <button type="submit" class="button">
            {signup ? t.signUp : t.logIn}
          </button>
          {!signup && <Link href="/forgot-password">{t.forgotLink}</Link>}
        </div>
      </Form>
      <p class="switch-form">
        {signup ? t.haveAccount : t.noAccount} <Link href={other}>{signup ? t.useAccount : t.createAccount}</Link>
      </p>
    </div>
  );
}

import { useState } from 'preact/hooks';
import { type User, api, call } from '../api/client';
import { downloadExport } from '../api/download';
import { Alert, Status } from '../components/Alert';
import { Field } from '../components/Field';
import { Form } from '../components/Form';
import { RequireUser } from '../components/RequireUser';
import { useAction } from '../hooks/action';
import { useTitle } from '../hooks/title';
import { useI18n } from '../i18n';
import { useNotice } from '../notice';
import { Link } from '../router';
import { useSession } from '../session';

const PASSWORD_FIELDS = ['current_password', 'new_password'] as const;
const DELETE_FIELDS = ['password'] as const;
const EMAIL_FIELDS = ['email', 'password'] as const;

function ChangePassword() {
  const { t } = useI18n();
  const action = useAction(PASSWORD_FIELDS);
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [status, setStatus] = useState<string | null>(null);

  const submit = () =>
    action.run(async () => {
      setStatus(null);
      await call(api.PUT('/api/v1/users/me/password', { body: { current_password: current, new_password: next } }));
      setCurrent('');
      setNext('');
      setStatus(t.passwordChanged);
    });

  return (
    <section class="panel" aria-labelledby="password-title">
      <h2 id="password-title">{t.changePasswordTitle}</h2>
      <Form action={action} onSubmit={submit}>
        <Field label={t.currentPassword} error={action.problem.fields.current_password}>
          {(control) => (
            <input {...control} type="password" autocomplete="current-password" required value={current} onInput={(e) => setCurrent(e.currentTarget.value)} />
          )}
        </Field>
        <Field label={t.newPassword} hint={t.passwordHint} error={action.problem.fields.new_password}>
          {(control) => <input {...control} type="password" autocomplete="new-password" required value={next} onInput={(e) => setNext(e.currentTarget.value)} />}
        </Field>
        <div class="form__actions">
          <button type="submit" class="button">
            {t.changePassword}
          </button>
        </div>
        <Status text={status} />
      </Form>
    </section>
  );
}

/** The email for account recovery: seen by the member alone; changing it needs the password. */
function EmailForm({ user }: { user: User }) {
  const { t } = useI18n();
  const { setUser } = useSession();
  const action = useAction(EMAIL_FIELDS);
  const [email, setEmail] = useState(user.email ?? '');
  const [password, setPassword] = useState('');
  const [status, setStatus] = useState<string | null>(null);
  const submit = () =>
    action.run(async () => {
      setStatus(null);
      const { data } = await call(api.PATCH('/api/v1/users/me', { body: { email: email.trim() === '' ? null : email, password } }));
      setUser(data);
      setPassword('');
      setStatus(data.email ? t.emailSaved : t.emailRemoved);
    });
  return (
    <section class="panel" aria-labelledby="email-title">
      <h2 id="email-title">{t.emailTitle}</h2>
      <p>{t.emailText}</p>
      <Form action={action} onSubmit={submit}>
        <Field label={t.email} error={action.problem.fields.email}>
          {(control) => <input {...control} type="email" autocomplete="email" value={email} onInput={(e) => setEmail(e.currentTarget.value)} />}
        </Field>
        <Field label={t.password} error={action.problem.fields.password}>
          {(control) => <input {...control} type="password" autocomplete="current-password" required value={password} onInput={(e) => setPassword(e.currentTarget.value)} />}
        </Field>
        <div class="form__actions">
          <button type="submit" class="button">
            {t.saveEmail}
          </button>
        </div>
        <Status text={status} />
      </Form>
    </section>
  );
}

/** Bringing a history in from Letterboxd, and taking everything out. */
function YourData() {
  const { t } = useI18n();
  const action = useAction();
  const [status, setStatus] = useState<string | null>(null);
  const download = () =>
    action.run(async () => {
      setStatus(null);
      await downloadExport();
      setStatus(t.downloadReady);
    });
  return (
    <section class="panel" aria-labelledby="your-data-title">
      <h2 id="your-data-title">{t.yourDataTitle}</h2>
      <p>{t.yourDataText}</p>
      <div class="form__actions">
        <Link class="button button--secondary" href="/account/import">
          {t.importLink}
        </Link>
        <button type="button" class="button" onClick={download} disabled={action.pending}>
          {t.downloadData}
        </button>
      </div>
      <Alert problem={action.problem} onRetry={action.retry} />
      <Status text={status} />
    </section>
  );
}

function DeleteAccount() {
  const { t } = useI18n();
  const { setUser } = useSession();
  const { navigateWithNotice } = useNotice();
  const action = useAction(DELETE_FIELDS);
  const [password, setPassword] = useState('');

  const submit = () =>
    action.run(async () => {
      await call(api.DELETE('/api/v1/users/me', { body: { password } }));
      setUser(null);
      navigateWithNotice('/', t.accountDeleted, { replace: true });
    });

  return (
    <section class="panel panel--danger" aria-labelledby="delete-account-title">
      <h2 id="delete-account-title">{t.deleteAccountTitle}</h2>
      <p>{t.deleteAccountText}</p>
      <Form action={action} onSubmit={submit}>
        <Field label={t.password} error={action.problem.fields.password}>
          {(control) => (
            <input {...control} type="password" autocomplete="current-password" required value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
          )}
        </Field>
        <div class="form__actions">
          <button type="submit" class="button button--danger">
            {t.deleteAccount}
          </button>
        </div>
      </Form>
    </section>
  );
}

function Account({ user }: { user: User }) {
  const { t, date } = useI18n();
  return (
    <div class="narrow">
      <h1>{t.accountTitle}</h1>
      <p class="account-summary">
        <strong>{user.username}</strong>
        {user.role === 'admin' && <span class="badge">{t.roleAdmin}</span>}
        <span class="muted">{t.memberSince(date(user.created_at))}</span>
      </p>
      <EmailForm user={user} />
      <ChangePassword />
      <YourData />
      <DeleteAccount />
    </div>
  );
}

export function AccountPage() {
  const { t } = useI18n();
  useTitle(t.accountTitle);
  return <RequireUser>{(user) => <Account user={user} />}</RequireUser>;
}

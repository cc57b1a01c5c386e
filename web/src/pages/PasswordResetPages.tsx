import { useState } from 'preact/hooks';
import { api, call } from '../api/client';
import { Status } from '../components/Alert';
import { Field } from '../components/Field';
import { Form } from '../components/Form';
import { useAction } from '../hooks/action';
import { useTitle } from '../hooks/title';
import { useI18n } from '../i18n';
import { useNotice } from '../notice';
import { Link, useLocation } from '../router';

const EMAIL_FIELDS = ['email'] as const;
const RESET_FIELDS = ['token', 'new_password'] as const;

/** /forgot-password: an email address in, the same answer whether or not an account has it. */
export function ForgotPasswordPage() {
  const { t } = useI18n();
  useTitle(t.forgotTitle);
  const action = useAction(EMAIL_FIELDS, { redirectOn401: false });
  const [email, setEmail] = useState('');
  const [status, setStatus] = useState<string | null>(null);
  const submit = () =>
    action.run(async () => {
      setStatus(null);
      await call(api.POST('/api/v1/users/password-reset', { body: { email } }));
      setStatus(t.forgotSent);
    });
  return (
    <div class="narrow">
      <h1 id="forgot-title">{t.forgotTitle}</h1>
      <p>{t.forgotText}</p>
      <Form action={action} onSubmit={submit} labelledBy="forgot-title" class="form panel">
        <Field label={t.email} error={action.problem.fields.email}>
          {(control) => <input {...control} type="email" name="email" autocomplete="email" required value={email} onInput={(e) => setEmail(e.currentTarget.value)} />}
        </Field>
        <div class="form__actions">
          <button type="submit" class="button">
            {t.forgotSubmit}
          </button>
        </div>
        <Status text={status} />
      </Form>
      <p class="switch-form">
        <Link href="/login">{t.backToLogin}</Link>
      </p>
    </div>
  );
}

/** /reset-password?token=…: the emailed link's page, a new password in; then logging in with it. */
export function ResetPasswordPage() {
  const { t } = useI18n();
  useTitle(t.resetTitle);
  const { query } = useLocation();
  const token = query.get('token') ?? '';
  const { navigateWithNotice } = useNotice();
  const action = useAction(RESET_FIELDS, { redirectOn401: false });
  const [password, setPassword] = useState('');
  const submit = () =>
    action.run(async () => {
      await call(api.POST('/api/v1/users/password-reset/confirm', { body: { token, new_password: password } }));
      navigateWithNotice('/login', t.resetDone, { replace: true });
    });
  const tokenProblem = action.problem.fields.token;
  return (
    <div class="narrow">
      <h1 id="reset-title">{t.resetTitle}</h1>
      {token === '' || tokenProblem ? (
        <div class="alert" role="alert">
          <p>{tokenProblem ?? t.resetNoToken}</p>
          <p>
            <Link href="/forgot-password">{t.resetAskAgain}</Link>
          </p>
        </div>
      ) : null}
      {token !== '' && (
        <Form action={action} onSubmit={submit} labelledBy="reset-title" class="form panel">
          <Field label={t.newPassword} hint={t.passwordHint} error={action.problem.fields.new_password}>
            {(control) => <input {...control} type="password" name="new_password" autocomplete="new-password" required value={password} onInput={(e) => setPassword(e.currentTarget.value)} />}
          </Field>
          <div class="form__actions">
            <button type="submit" class="button">
              {t.resetSubmit}
            </button>
          </div>
        </Form>
      )}
    </div>
  );
}

import { useEffect, useRef, useState } from 'preact/hooks';
import { type User, api, call } from '../api/client';
import { uploadAvatar } from '../api/upload';
import { Status } from '../components/Alert';
import { Avatar } from '../components/Avatar';
import { Field } from '../components/Field';
import { Form } from '../components/Form';
import { RequireUser } from '../components/RequireUser';
import { UploadProgress } from '../components/UploadProgress';
import { profilePath } from '../components/UserLink';
import { useAction } from '../hooks/action';
import { useUpload } from '../hooks/upload';
import { forget } from '../hooks/resource';
import { useTitle } from '../hooks/title';
import { useI18n } from '../i18n';
import { Link } from '../router';
import { useSession } from '../session';

const PROFILE_FIELDS = ['display_name', 'bio'] as const;
const AVATAR_FIELDS = ['file'] as const;
const MAX_NAME = 100;
const MAX_BIO = 2000;
const MAX_AVATAR_BYTES = 5 * 1024 * 1024;

/** Reads what the server keeps after a change of profile or avatar, for the header and the pages. */
async function refreshed(setUser: (user: User) => void): Promise<void> {
  const { data } = await call(api.GET('/api/v1/users/me'));
  setUser(data);
  forget(`profile:${data.username.toLowerCase()}`);
}

function ProfileForm({ user }: { user: User }) {
  const { t } = useI18n();
  const { setUser } = useSession();
  const action = useAction(PROFILE_FIELDS);
  const [name, setName] = useState(user.display_name ?? '');
  const [bio, setBio] = useState(user.bio ?? '');
  const [status, setStatus] = useState<string | null>(null);

  const save = () =>
    action.run(async () => {
      setStatus(null);
      const { data } = await call(api.PATCH('/api/v1/users/me', { body: { display_name: name, bio } }));
      setUser(data);
      forget(`profile:${data.username.toLowerCase()}`);
      setStatus(t.profileSaved);
    });

  return (
    <section class="panel" aria-labelledby="profile-form-title">
      <h2 id="profile-form-title">{t.profileDetails}</h2>
      <Form action={action} onSubmit={save}>
        <Field label={t.displayName} hint={t.displayNameHint} error={action.problem.fields.display_name}>
          {(control) => <input {...control} type="text" autocomplete="name" maxLength={MAX_NAME} value={name} onInput={(e) => setName(e.currentTarget.value)} />}
        </Field>
        <Field label={t.bio} hint={t.bioHint(bio.length, MAX_BIO)} error={action.problem.fields.bio}>
          {(control) => <textarea {...control} rows={5} maxLength={MAX_BIO} value={bio} onInput={(e) => setBio(e.currentTarget.value)} />}
        </Field>
        <div class="form__actions">
          <button type="submit" class="button">
            {t.save}
          </button>
        </div>
        <Status text={status} />
      </Form>
    </section>
  );
}

/**
 * The avatar: what is there now, a file picker with a preview of the square the server will keep
 * (the centre of the picture, as it crops it), upload with a progress bar, and remove.
 */
function AvatarForm({ user }: { user: User }) {
  const { t } = useI18n();
  const { setUser } = useSession();
  const action = useAction(AVATAR_FIELDS);
  const input = useRef<HTMLInputElement>(null);
  const [preview, setPreview] = useState<string | null>(null);
  const [fileError, setFileError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const upload = useUpload();
  useEffect(() => () => void (preview && URL.revokeObjectURL(preview)), [preview]);

  const picked = () => {
    const file = input.current?.files?.[0];
    setStatus(null);
    setFileError(file && file.size > MAX_AVATAR_BYTES ? t.avatarTooBig : null);
    setPreview(file ? URL.createObjectURL(file) : null);
  };

  const send = () => {
    const file = input.current?.files?.[0];
    if (!file) {
      setFileError(t.chooseFile);
      input.current?.focus();
      return;
    }
    if (file.size > MAX_AVATAR_BYTES) {
      setFileError(t.avatarTooBig);
      input.current?.focus();
      return;
    }
    void action.run(async () => {
      if ((await upload.start((onProgress, signal) => uploadAvatar(file, onProgress, signal))) === 'cancelled') {
        setStatus(t.uploadCancelled);
        return;
      }
      if (input.current) input.current.value = '';
      setPreview(null);
      setStatus(t.avatarUploaded);
      await refreshed(setUser);
    });
  };

  const remove = () =>
    action.run(async () => {
      setStatus(null);
      await call(api.DELETE('/api/v1/users/me/avatar'));
      setStatus(t.avatarRemoved);
      await refreshed(setUser);
    });

  return (
    <section class="panel" aria-labelledby="avatar-title">
      <h2 id="avatar-title">{t.avatarTitle}</h2>
      <div class="avatar-edit">
        <figure class="avatar-edit__now">
          <Avatar user={user} size={96} alt={user.avatar_url ? t.currentAvatar : ''} />
          <figcaption>{user.avatar_url ? t.currentAvatar : t.noAvatar}</figcaption>
        </figure>
        {preview && (
          <figure class="avatar-edit__preview">
            <img class="avatar avatar--96 avatar--crop" src={preview} alt={t.avatarPreview} width={96} height={96} />
            <figcaption>{t.avatarPreview}</figcaption>
          </figure>
        )}
      </div>
      <Form action={action} onSubmit={send}>
        <Field label={t.avatarFile} hint={t.avatarHint} error={fileError ?? action.problem.fields.file}>
          {(control) => <input {...control} ref={input} type="file" accept="image/jpeg,image/png,image/webp" onChange={picked} />}
        </Field>
        {upload.progress !== null && <UploadProgress percent={upload.percent} />}
        <div class="form__actions">
          {upload.progress === null ? (
            <button type="submit" class="button">
              {t.uploadAvatar}
            </button>
          ) : (
            <button type="button" class="button button--secondary" onClick={upload.cancel}>
              {t.cancelUpload}
            </button>
          )}
          {user.avatar_url && upload.progress === null && (
            <button type="button" class="button button--danger" onClick={remove}>
              {t.removeAvatar}
            </button>
          )}
        </div>
        <Status text={status} />
      </Form>
    </section>
  );
}

function EditProfile({ user }: { user: User }) {
  const { t } = useI18n();
  return (
    <div class="narrow">
      <h1>{t.editProfile}</h1>
      <p>
        <Link href={profilePath(user.username)}>{t.viewProfile}</Link>
      </p>
      <ProfileForm user={user} />
      <AvatarForm user={user} />
    </div>
  );
}

/** /account/profile: the member's display name, bio and avatar. */
export function EditProfilePage() {
  const { t } = useI18n();
  useTitle(t.editProfile);
  return <RequireUser>{(user) => <EditProfile user={user} />}</RequireUser>;
}

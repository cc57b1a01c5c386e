import { useI18n } from '../i18n';

/** The progress bar of an upload (named for screen readers), with the percentage beside it. */
export function UploadProgress({ percent }: { percent: number }) {
  const { t } = useI18n();
  return (
    <div class="progress">
      <progress max={100} value={percent} aria-label={t.uploadProgress} />
      <span aria-hidden="true">{t.uploading(percent)}</span>
    </div>
  );
}

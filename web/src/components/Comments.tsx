import { useId, useState } from 'preact/hooks';
import { type Comment, type Review, api, call, page } from '../api/client';
import { useAction } from '../hooks/action';
import { useResource } from '../hooks/resource';
import { useI18n } from '../i18n';
import { useSession } from '../session';
import { Alert, Status } from './Alert';
import { ConfirmButton } from './ConfirmButton';
import { Field } from './Field';
import { Form } from './Form';
import { LoadError } from './LoadError';
import { UserLink } from './UserLink';
import { LinesSkeleton } from './Skeleton';

const MAX_COMMENT = 2000;
/** A review's comments shown at once; past that the reader pages (rare under one review). */
const SHOWN = 100;

function CommentItem({ comment, review, onDeleted }: { comment: Comment; review: Review; onDeleted: () => Promise<void> }) {
  const { t, date } = useI18n();
  const { user } = useSession();
  const action = useAction();
  const mayDelete = !!user && (user.id === comment.user_id || user.id === review.user_id || user.role === 'admin');
  const remove = () =>
    action.run(async () => {
      await call(api.DELETE('/api/v1/comments/{id}', { params: { path: { id: comment.id } } }));
      await onDeleted();
    });
  return (
    <li class="comment">
      <p class="comment__meta">
        <UserLink username={comment.username} />{' '}
        <time class="muted" dateTime={comment.created_at}>
          {date(comment.created_at)}
        </time>
      </p>
      <p class="comment__text">{comment.text}</p>
      {mayDelete && (
        <>
          <ConfirmButton
            label={user?.id === comment.user_id ? t.deleteComment : t.deleteCommentOf(comment.username)}
            question={t.deleteCommentQuestion}
            confirm={t.deleteReviewConfirm}
            onConfirm={remove}
          />
          <Alert problem={action.problem} onRetry={action.retry} />
        </>
      )}
    </li>
  );
}

function CommentForm({ reviewId, onPosted }: { reviewId: number; onPosted: () => Promise<void> }) {
  const { t } = useI18n();
  const action = useAction(['text']);
  const [text, setText] = useState('');
  const [status, setStatus] = useState<string | null>(null);
  const post = () =>
    action.run(async () => {
      setStatus(null);
      await call(api.POST('/api/v1/reviews/{id}/comments', { params: { path: { id: reviewId } }, body: { text } }));
      setText('');
      setStatus(t.commentPosted);
      await onPosted();
    });
  return (
    <Form action={action} onSubmit={post} class="form comment-form">
      <Field label={t.addComment} error={action.problem.fields.text} hint={t.commentHint(text.length, MAX_COMMENT)}>
        {(control) => <textarea {...control} rows={2} maxLength={MAX_COMMENT} value={text} onInput={(e) => setText(e.currentTarget.value)} />}
      </Field>
      <div class="form__actions">
        <button type="submit" class="button button--small">
          {t.postComment}
        </button>
      </div>
      <Status text={status} />
    </Form>
  );
}

/**
 * "N comments" under a review: a disclosure (aria-expanded) that opens the comments, oldest
 * first, with a form to add one for a signed-in member, and delete buttons for those who may.
 */
export function Comments({ review }: { review: Review }) {
  const { t } = useI18n();
  const { user } = useSession();
  const [open, setOpen] = useState(false);
  const [count, setCount] = useState(review.comment_count);
  const regionId = useId();
  const comments = useResource(open ? `comments:${review.id}` : null, (signal) =>
    page(api.GET('/api/v1/reviews/{id}/comments', { params: { path: { id: review.id }, query: { limit: SHOWN } }, signal })),
  );
  const reload = async () => {
    await comments.reload();
  };
  const shownCount = comments.state === 'ready' ? comments.data.total : count;
  return (
    <div class="comments">
      <button
        type="button"
        class="button button--link"
        aria-expanded={open ? 'true' : 'false'}
        aria-controls={regionId}
        onClick={() => {
          if (open && comments.state === 'ready') setCount(comments.data.total);
          setOpen(!open);
        }}
      >
        {t.comments(shownCount)}
      </button>
      <div id={regionId} role="region" aria-label={t.commentsOn(review.username)} hidden={!open}>
        {open && comments.state === 'loading' && <LinesSkeleton label={t.loading} />}
        {open && comments.state === 'failed' && <LoadError error={comments.error} onRetry={comments.reload} />}
        {open && comments.state === 'ready' && (
          <>
            {comments.data.items.length === 0 ? (
              <p class="empty">{t.noComments}</p>
            ) : (
              <ol class="comment-list">
                {comments.data.items.map((c) => (
                  <CommentItem key={c.id} comment={c} review={review} onDeleted={reload} />
                ))}
              </ol>
            )}
            {user && <CommentForm reviewId={review.id} onPosted={reload} />}
          </>
        )}
      </div>
    </div>
  );
}

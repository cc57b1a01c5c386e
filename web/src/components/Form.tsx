import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import type { Action } from '../hooks/action';
import { Alert } from './Alert';

interface FormProps {
  action: Action;
  onSubmit: () => void;
  children: ComponentChildren;
  class?: string;
  labelledBy?: string;
}

/**
 * A form checked by the API, not by the browser (noValidate): its 422 messages appear in the
 * page's language and style beside each field, and the first invalid field gets the focus.
 */
export function Form({ action, onSubmit, children, class: className, labelledBy }: FormProps) {
  const form = useRef<HTMLFormElement>(null);
  useEffect(() => {
    if (Object.keys(action.problem.fields).length === 0) return;
    form.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [action.problem]);

  return (
    <form
      ref={form}
      class={className ?? 'form'}
      noValidate
      aria-labelledby={labelledBy}
      aria-busy={action.pending ? 'true' : undefined}
      onSubmit={(event) => {
        event.preventDefault();
        onSubmit();
      }}
    >
      <Alert problem={action.problem} onRetry={action.retry} />
      {children}
    </form>
  );
}

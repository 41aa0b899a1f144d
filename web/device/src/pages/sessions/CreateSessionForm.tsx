import { Card, ErrorNote } from '@common/ui';
import { useState, type FormEvent } from 'react';
import { useCreateSession } from '../../api';
import { EMPTY_CREATE_FORM, buildCreateBody, type CreateForm } from '@common/session-model';
import { SessionFields } from '@common/SessionFields';

export function CreateSessionForm() {
  const create = useCreateSession();
  const [form, setForm] = useState<CreateForm>(EMPTY_CREATE_FORM);
  const [invalid, setInvalid] = useState<string | null>(null);

  const submit = (ev: FormEvent) => {
    ev.preventDefault();
    const built = buildCreateBody(form);
    if (!built.ok) {
      setInvalid(built.error);
      return;
    }
    setInvalid(null);
    create.mutate(built.body);
  };

  return (
    <Card title="New session">
      <form className="form-row" onSubmit={submit} data-testid="create-session-form">
        <SessionFields form={form} setForm={setForm} testId="create" settings />
        <button type="submit" className="btn primary" disabled={create.isPending} data-testid="create-submit">
          {create.isPending ? 'Creating…' : 'Create session'}
        </button>
      </form>
      {invalid ? <ErrorNote error={new Error(invalid)} /> : <ErrorNote error={create.error} />}
      {create.isSuccess && !invalid ? (
        <p className="muted" data-testid="create-result">
          Session <span className="mono">{create.data.id}</span> {create.data.status}.
        </p>
      ) : null}
    </Card>
  );
}

// Small presentational pieces shared by the device UI and the fleet dashboard.
import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { ApiError, getToken, onTokenChange, setToken } from './api';
import { navigate } from './router';

export function Card(props: { title: ReactNode; actions?: ReactNode; children: ReactNode; testId?: string; wide?: boolean }) {
  return (
    <section className={`card${props.wide ? ' wide' : ''}`} data-testid={props.testId}>
      <header className="card-head">
        <h2>{props.title}</h2>
        {props.actions ? <div className="card-actions">{props.actions}</div> : null}
      </header>
      <div className="card-body">{props.children}</div>
    </section>
  );
}

export type Tone = 'ok' | 'warn' | 'bad' | 'muted' | 'info';

export function Badge(props: { tone: Tone; children: ReactNode; testId?: string }) {
  return (
    <span className={`badge badge-${props.tone}`} data-testid={props.testId}>
      {props.children}
    </span>
  );
}

export function Meter(props: { label: string; value: number; detail?: string }) {
  const v = Math.round(props.value);
  const tone = v >= 90 ? 'bad' : v >= 75 ? 'warn' : 'ok';
  return (
    <div className="meter">
      <div className="meter-label">
        <span>{props.label}</span>
        <span>{props.detail ?? `${v}%`}</span>
      </div>
      <div className="meter-track" role="progressbar" aria-valuenow={v} aria-valuemin={0} aria-valuemax={100} aria-label={props.label}>
        <div className={`meter-fill meter-${tone}`} style={{ width: `${v}%` }} />
      </div>
    </div>
  );
}

export function Field(props: { label: string; children: ReactNode }) {
  return (
    <div className="field">
      <dt>{props.label}</dt>
      <dd>{props.children}</dd>
    </div>
  );
}

export function ErrorNote(props: { error: unknown }) {
  if (!props.error) return null;
  const e = props.error;
  const text = e instanceof ApiError ? `${e.message} (${e.code})` : e instanceof Error ? e.message : String(e);
  return (
    <div className="error-note" role="alert">
      {text}
    </div>
  );
}

export function NavLink(props: { to: string; current: string; children: ReactNode }) {
  const active = props.to === '/' ? props.current === '/' : props.current.startsWith(props.to);
  return (
    <a
      href={props.to}
      className={active ? 'nav-link active' : 'nav-link'}
      onClick={(ev) => {
        if (ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.button !== 0) return;
        ev.preventDefault();
        navigate(props.to);
      }}
    >
      {props.children}
    </a>
  );
}

/** Asks for the API token when the server answers 401; stores it for later requests. */
export function TokenPrompt(props: { product: string }) {
  const [value, setValue] = useState('');
  const submit = (ev: FormEvent) => {
    ev.preventDefault();
    if (value.trim()) setToken(value.trim());
  };
  return (
    <div className="token-prompt" data-testid="token-prompt">
      <form onSubmit={submit} className="card">
        <h2>{props.product} needs an API token</h2>
        <p className="muted">This service was started with an API token. Paste it to continue; it is kept in this browser only.</p>
        <input type="password" value={value} onChange={(e) => setValue(e.target.value)} placeholder="token" autoFocus aria-label="API token" />
        <button type="submit" className="btn primary">
          Continue
        </button>
      </form>
    </div>
  );
}

export function useTokenVersion(): number {
  const [version, setVersion] = useState(0);
  useEffect(() => onTokenChange(() => setVersion((v) => v + 1)), []);
  return version;
}

export function hasToken(): boolean {
  return getToken() !== null;
}

export function isUnauthorized(error: unknown): boolean {
  return error instanceof ApiError && error.status === 401;
}

import type { Dispatch, SetStateAction } from 'react';
import type { CreateForm, SessionKind } from './session-model';

/**
 * The fields of a new session (kind, start URL, size, client id, profile, TTL, recording), shared by the device's
 * and the fleet's create forms; with `settings`, also blocked URLs and extensions (both forms ask
 * for them; the monitor passes them on to the device). `testId` prefixes each field's data-testid.
 */
export function SessionFields({ form, setForm, testId, settings = false }: { form: CreateForm; setForm: Dispatch<SetStateAction<CreateForm>>; testId: string; settings?: boolean }) {
  const set = (key: keyof CreateForm) => (ev: { target: { value: string } }) => setForm((f) => ({ ...f, [key]: ev.target.value }));
  return (
    <>
      <label>
        Kind
        <select value={form.kind} onChange={(e) => setForm((f) => ({ ...f, kind: e.target.value as SessionKind }))} data-testid={`${testId}-kind`}>
          <option value="headless">Headless</option>
          <option value="vnc">VNC live view</option>
        </select>
      </label>
      <label className="grow">
        Start URL
        <input type="url" value={form.startUrl} onChange={set('startUrl')} placeholder="https://example.com (optional)" data-testid={`${testId}-start-url`} />
      </label>
      <label>
        Width
        <input type="number" min={200} max={7680} step={1} value={form.width} onChange={set('width')} placeholder="default" className="num" data-testid={`${testId}-width`} />
      </label>
      <label>
        Height
        <input type="number" min={200} max={4320} step={1} value={form.height} onChange={set('height')} placeholder="default" className="num" data-testid={`${testId}-height`} />
      </label>
      <label>
        Client id
        <input type="text" value={form.clientId} onChange={set('clientId')} placeholder="optional" data-testid={`${testId}-client-id`} />
      </label>
      <label>
        Profile
        <input type="text" value={form.profile} onChange={set('profile')} placeholder="none (nothing kept)" data-testid={`${testId}-profile`} />
      </label>
      <label>
        TTL (s)
        <input type="number" min={1} step={1} value={form.ttl} onChange={set('ttl')} placeholder="default" className="num" data-testid={`${testId}-ttl`} />
      </label>
      <label className="check" title={form.kind === 'vnc' ? 'Record the screen (ffmpeg); played back from the session list' : 'Only a VNC session has a screen to record'}>
        Record
        <span>
          <input
            type="checkbox"
            checked={form.record && form.kind === 'vnc'}
            disabled={form.kind !== 'vnc'}
            onChange={(e) => setForm((f) => ({ ...f, record: e.target.checked }))}
            data-testid={`${testId}-record`}
          />{' '}
          screen
        </span>
      </label>
      {settings ? (
        <>
          <label className="grow">
            Blocked URLs
            <input type="text" value={form.blockUrls} onChange={set('blockUrls')} placeholder="*.png ads.example.com (optional)" data-testid={`${testId}-block-urls`} />
          </label>
          <label>
            Extensions
            <input type="text" value={form.extensions} onChange={set('extensions')} placeholder="none (headful only)" data-testid={`${testId}-extensions`} />
          </label>
        </>
      ) : null}
    </>
  );
}

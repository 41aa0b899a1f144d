import { ago, bytes } from '@common/format';
import { useNow } from '@common/hooks';
import { AppLink } from '@common/link';
import { Badge, Card, ErrorNote } from '@common/ui';
import { useRef, useState, type FormEvent } from 'react';
import { useDeleteRelease, useReleases, useUploadRelease, type ReleaseView } from '../api';
import { EMPTY_FILTERS, filtersToSearch } from '../device-model';
import { pickReleaseFiles, usesLabel } from '../release-model';

function UploadForm() {
  const upload = useUploadRelease();
  const input = useRef<HTMLInputElement>(null);
  const [invalid, setInvalid] = useState<string | null>(null);

  const submit = (ev: FormEvent) => {
    ev.preventDefault();
    const picked = pickReleaseFiles(Array.from(input.current?.files ?? []));
    setInvalid(picked.ok ? null : picked.error);
    if (picked.ok)
      upload.mutate(picked.files, {
        onSuccess: () => {
          if (input.current) input.current.value = '';
        },
      });
  };

  return (
    <Card title="Upload a release">
      <form className="form-row" onSubmit={submit} data-testid="release-upload">
        <label className="grow">
          The tarball, its .sha256 and its .sha256.sig (from scripts/build-release.sh)
          <input ref={input} type="file" multiple accept=".gz,.sha256,.sig" data-testid="release-upload-files" />
        </label>
        <button type="submit" className="btn primary" disabled={upload.isPending} data-testid="release-upload-submit">
          {upload.isPending ? 'Uploading…' : 'Upload'}
        </button>
      </form>
      {invalid ? <ErrorNote error={new Error(invalid)} /> : <ErrorNote error={upload.error} />}
      {upload.isSuccess && !invalid ? (
        <p className="muted" data-testid="release-upload-done">
          Release {upload.data.version} verified and added.
        </p>
      ) : null}
    </Card>
  );
}

function ReleaseRow({ release: r, now, onDelete, busy }: { release: ReleaseView; now: number; onDelete: () => void; busy: boolean }) {
  const used = r.used_by.length > 0;
  return (
    <tr data-testid={`release-row-${r.version}`}>
      <td className="mono">{r.version}</td>
      <td className="num nowrap">{bytes(r.size)}</td>
      <td>{r.signed ? <Badge tone="ok">signed</Badge> : <Badge tone="warn">unsigned</Badge>}</td>
      <td className="nowrap" title={new Date(r.created_at).toLocaleString()}>
        {ago(r.created_at, now)}
      </td>
      <td className="num">
        {r.devices > 0 ? (
          <AppLink to={`/${filtersToSearch({ ...EMPTY_FILTERS, version: r.version })}`} title="Show these devices">
            {r.devices}
          </AppLink>
        ) : (
          0
        )}
      </td>
      <td data-testid={`release-uses-${r.version}`}>{used ? usesLabel(r.used_by) : <span className="muted">—</span>}</td>
      <td>
        <button
          type="button"
          className="btn small danger"
          disabled={busy || used}
          title={used ? 'A rollout uses this release' : `Delete ${r.file} and its checksum and signature`}
          onClick={onDelete}
          data-testid={`release-delete-${r.version}`}
        >
          Delete
        </button>
      </td>
    </tr>
  );
}

export function ReleasesPage() {
  const releases = useReleases();
  const del = useDeleteRelease();
  const now = useNow(5000);
  const rows = releases.data ?? [];
  return (
    <>
      <div className="page-title">
        <h1>Releases</h1>
        <span className="muted">what the update server can offer the devices</span>
      </div>
      <ErrorNote error={releases.error} />
      <UploadForm />
      <Card title={`${rows.length} release${rows.length === 1 ? '' : 's'}`} wide>
        {releases.data && rows.length === 0 ? <p className="muted">No releases yet.</p> : null}
        <table className="list" data-testid="releases-table">
          <thead>
            <tr>
              <th>Version</th>
              <th className="num">Size</th>
              <th>Signature</th>
              <th>Uploaded</th>
              <th className="num">Devices</th>
              <th>Used by</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <ReleaseRow
                key={r.version}
                release={r}
                now={now}
                busy={del.isPending}
                onDelete={() => {
                  if (window.confirm(`Delete release ${r.version}?`)) del.mutate(r.version);
                }}
              />
            ))}
          </tbody>
        </table>
        <ErrorNote error={del.error} />
      </Card>
    </>
  );
}

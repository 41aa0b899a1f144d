import { useNow } from '@common/hooks';
import { ErrorNote } from '@common/ui';
import { useProfiles } from '../api';
import { profilesSummary } from '../profile-model';
import { ProfilesTable } from './profiles/ProfilesTable';

export function ProfilesPage() {
  const profiles = useProfiles();
  const now = useNow(5000);
  const list = profiles.data?.profiles;
  return (
    <div data-testid="profiles-page">
      <div className="page-title">
        <h1>Profiles</h1>
        {list ? (
          <span className="muted" data-testid="profiles-summary">
            {profilesSummary(list)}
          </span>
        ) : null}
      </div>
      <ErrorNote error={profiles.error} />
      {list ? <ProfilesTable profiles={list} now={now} /> : profiles.error ? null : <p className="muted">Loading…</p>}
    </div>
  );
}

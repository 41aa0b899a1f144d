// The Profiles page's words (profile-model.ts): the summary line and the delete question.
import { describe, expect, it } from 'vitest';
import { deleteProfileQuestion, exportFallbackName, profilesSummary } from './profile-model';

const profile = (name: string, size_bytes: number) => ({ name, size_bytes, modified_at: '2025-06-01T12:00:00.000Z', session: null });

describe('profilesSummary', () => {
  it('counts the profiles and adds their sizes up', () => {
    expect(profilesSummary([])).toBe('0 profiles · 0 B');
    expect(profilesSummary([profile('shop', 2048)])).toBe('1 profile · 2.0 KiB');
    expect(profilesSummary([profile('shop', 20 * 1024 ** 2), profile('kiosk', 15 * 1024 ** 2 + 100 * 1024)])).toBe('2 profiles · 35.1 MiB');
  });
});

describe('profile actions', () => {
  it('names the profile in the delete question and in the fallback export name', () => {
    expect(deleteProfileQuestion('shop')).toBe('Delete profile shop? Its cookies, storage and logins are gone for good.');
    expect(exportFallbackName('shop')).toBe('outpost-profile-shop.tar');
  });
});

// Pure parsing of Docker image references: the payload's "version" is its image tag.

export interface ImageRef {
  repository: string;
  tag: string | null;
  digest: string | null;
}

export function parseImageRef(ref: string): ImageRef {
  let rest = ref.trim();
  let digest: string | null = null;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  // A colon after the last slash is a tag; before it, it is a registry port (registry:5000/app).
  const slash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  let tag: string | null = null;
  if (colon > slash) {
    tag = rest.slice(colon + 1) || null;
    rest = rest.slice(0, colon);
  }
  return { repository: rest, tag, digest };
}

/** The version shown for an image: its tag, else a short digest, else "latest" (Docker's default). */
export function imageVersion(ref: string): string {
  const { tag, digest } = parseImageRef(ref);
  if (tag) return tag;
  if (digest) return digest.replace(/^sha256:/, '').slice(0, 12);
  return 'latest';
}

// Host ports for session containers, from a configured range (the orchestrator's PORT_RANGE).
// Pure: the caller says which ports are taken.

export interface PortRange {
  min: number;
  max: number;
}

/** The lowest `count` free ports of the range, or null when it has fewer than that. */
export function allocatePorts(range: PortRange, taken: ReadonlySet<number>, count: number): number[] | null {
  const out: number[] = [];
  for (let p = range.min; p <= range.max && out.length < count; p += 1) {
    if (!taken.has(p)) out.push(p);
  }
  return out.length === count ? out : null;
}

/** How many sessions of `perSession` ports the range holds. */
export function rangeSlots(range: PortRange, perSession: number): number {
  return Math.floor((range.max - range.min + 1) / perSession);
}

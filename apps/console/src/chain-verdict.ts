import type { ChainVerification } from './api';

/** The verify route's answer in words. */
export function chainVerdict(v: ChainVerification): string {
  const checked = `${v.checked} ${v.checked === 1 ? 'entry' : 'entries'} checked`;
  if (v.valid) return `Chain intact: ${checked}, every hash and link matches.`;
  return `Chain broken at entry #${v.firstBrokenId ?? '?'} (${checked}): that entry, or the one it links to, was changed, removed or reordered.`;
}

/**
 * Where a member's read pointer goes on a read receipt up to `requested`: forward only, and never past the
 * conversation's last message (a client cannot read what does not exist yet).
 */
export function nextReadPointer(previous: number, requested: number, lastSeq: number): number {
  return Math.max(previous, Math.min(requested, lastSeq));
}

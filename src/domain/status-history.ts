import { DeliverySteps, MessageSteps, type ArchivedStep, type DeliveryState, type MessageState } from './ledger.ts';
import type { DeliveryStep, StatusChange } from './message.ts';
import type { DeliveryStatus, MessageStatus } from './message-status.ts';

/**
 * A message's status history, derived: accepted when it was created, then each status whose time its row keeps
 * (the current generation, and the first in_transit), with the steps of earlier generations kept as rows of their
 * own (archived by a dead-letter replay), in the order they happened. A message accepted before migration 0007 keeps
 * its accepted step as a row, with the time the old code recorded it (a moment after created_at).
 */
export function messageHistory(message: Pick<MessageState, 'createdAt' | 'times' | 'reason'>, archived: readonly ArchivedStep[]): StatusChange[] {
  const accepted = archived.find((step) => step.status === 'accepted');
  const derived: ArchivedStep[] = [{ status: 'accepted', reason: null, at: accepted?.at ?? message.createdAt, channelAt: null }];
  for (const status of MessageSteps) {
    const at = message.times[status];
    if (at) derived.push({ status, reason: status === 'failed' ? message.reason : null, at, channelAt: null });
  }
  return inOrder(derived, accepted ? archived.filter((step) => step !== accepted) : archived, 'in_transit').map((step) => ({ status: step.status as MessageStatus, reason: step.reason, at: new Date(step.at) }));
}

/** A delivery's history, derived the same way: pending when it was planned, then each step its row keeps. */
export function deliveryHistory(
  delivery: Pick<DeliveryState, 'steps' | 'reason'> & { createdAt: string },
  archived: readonly ArchivedStep[],
): DeliveryStep[] {
  const derived: ArchivedStep[] = [{ status: 'pending', reason: null, at: delivery.createdAt, channelAt: null }];
  for (const status of DeliverySteps) {
    const time = delivery.steps[status];
    if (time) derived.push({ status, reason: status === 'failed' ? delivery.reason : null, ...time });
  }
  return inOrder(derived, archived, 'pending').map((step) => ({
    status: step.status as DeliveryStatus,
    reason: step.reason,
    channelAt: step.channelAt === null ? null : new Date(step.channelAt),
    recordedAt: new Date(step.at),
  }));
}

/**
 * Merges the derived steps (in status order) with the archived ones (in the order they were archived) by time,
 * to the microsecond. The first derived step (the creation) always goes first. Equal times come from one
 * transaction, which writes a status and its predecessor at once (in_transit and failed when nothing can be tried),
 * or from a clock that counts only milliseconds (PGlite's): an archived step that started a generation (the replay's
 * `restart` step) goes before the derived steps of its time, which belong to that generation; any other archived
 * step, from a generation before, goes after the derived steps of its time.
 */
function inOrder(derived: readonly ArchivedStep[], archived: readonly ArchivedStep[], restart: string): ArchivedStep[] {
  const [first, ...rest] = derived;
  const merged: ArchivedStep[] = [first!];
  let i = 0;
  let j = 0;
  while (i < archived.length || j < rest.length) {
    const next = archived[i];
    const takeArchived =
      j >= rest.length ||
      (next !== undefined &&
        (micros(next.at) < micros(rest[j]!.at) || (micros(next.at) === micros(rest[j]!.at) && next.status === restart)));
    merged.push(takeArchived ? archived[i++]! : rest[j++]!);
  }
  return merged;
}

/** A database timestamp (ISO or PostgreSQL's text form) in microseconds: Date keeps only milliseconds. */
export function micros(at: string): number {
  const fraction = /\.(\d+)/.exec(at)?.[1] ?? '';
  return Date.parse(at) * 1000 + Number(fraction.padEnd(6, '0').slice(3, 6));
}

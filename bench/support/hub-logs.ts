import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/** The connectors' delivery line (the seed's, in Portuguese): one per hand-over of a message to a channel. */
export const DELIVERY_LINE = 'INFO: Mensagem ';

const CHUNK = 1 << 20;

/**
 * Reads the hub children's log files as they grow, without touching the hub: each poll reads only the bytes
 * written since the last one (a hub at info level writes megabytes per run).
 */
export class LogTail {
  readonly #files: Array<{ path: string; offset: number; partial: Buffer }>;
  #delivered = 0;

  constructor(files: readonly string[]) {
    this.#files = files.map((path) => ({ path, offset: 0, partial: Buffer.alloc(0) }));
  }

  /** Complete lines written since the last call. */
  newLines(): string[] {
    const lines: string[] = [];
    for (const file of this.#files) {
      const fd = openSync(file.path, 'r');
      try {
        const size = fstatSync(fd).size;
        while (file.offset < size) {
          const buffer = Buffer.allocUnsafe(Math.min(CHUNK, size - file.offset));
          const read = readSync(fd, buffer, 0, buffer.length, file.offset);
          if (read === 0) break;
          file.offset += read;
          const bytes = Buffer.concat([file.partial, buffer.subarray(0, read)]);
          const end = bytes.lastIndexOf(0x0a);
          if (end < 0) {
            file.partial = bytes;
            continue;
          }
          lines.push(...bytes.subarray(0, end).toString('utf8').split('\n'));
          file.partial = Buffer.from(bytes.subarray(end + 1));
        }
      } finally {
        closeSync(fd);
      }
    }
    return lines;
  }

  /** Delivery lines written so far (one per message and channel recipient), counted as the logs grow. */
  deliveryLines(): number {
    for (const line of this.newLines()) if (line.includes(DELIVERY_LINE)) this.#delivered++;
    return this.#delivered;
  }
}

/**
 * Polls `tail` until `expected` delivery lines were written: every message accepted so far was handed over to
 * its channel (the delivery's record follows in the connector's next group commit). Seconds it took, or null
 * after `timeoutMs`.
 */
export async function waitForDeliveryLines(tail: LogTail, expected: number, timeoutMs: number, intervalMs = 100): Promise<number | null> {
  const started = performance.now();
  for (;;) {
    if (tail.deliveryLines() >= expected) return (performance.now() - started) / 1000;
    if (performance.now() - started > timeoutMs) return null;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** What each role of a deployment ran, from the line every hub process logs when it stops gracefully. */
export interface StatementCounts {
  byRole: Record<string, number>;
  total: number;
  /** Processes whose line was found, of those the deployment ran. */
  processes: number;
  of: number;
}

const STATEMENTS_MSG = '"msg":"SQL statements by role"';
/** The line comes at the very end of a process's output: the last megabyte of each file holds it. */
const TAIL_BYTES = 1 << 20;

/**
 * Sums, by role, the SQL statement counts every stopped hub process logged ("SQL statements by role", pino
 * info, field `statements`). Null when no process logged one (a hub from before that line).
 */
export function statementsByRole(files: readonly string[]): StatementCounts | null {
  const byRole: Record<string, number> = {};
  let processes = 0;
  for (const path of files) {
    const fd = openSync(path, 'r');
    let text: string;
    try {
      const size = fstatSync(fd).size;
      const start = Math.max(0, size - TAIL_BYTES);
      const buffer = Buffer.allocUnsafe(size - start);
      readSync(fd, buffer, 0, buffer.length, start);
      text = buffer.toString('utf8');
    } finally {
      closeSync(fd);
    }
    const line = text.split('\n').findLast((candidate) => candidate.includes(STATEMENTS_MSG));
    if (!line) continue;
    const statements = (JSON.parse(line) as { statements?: Record<string, number> }).statements ?? {};
    for (const [role, count] of Object.entries(statements)) byRole[role] = (byRole[role] ?? 0) + count;
    processes++;
  }
  if (processes === 0) return null;
  return { byRole, total: Object.values(byRole).reduce((sum, count) => sum + count, 0), processes, of: files.length };
}

/** "4.12: api 1.01, router 1.2, …" per message, largest first; "n/a" when the hub logged no counts. */
export function statementsPerMessage(counts: StatementCounts | null, messages: number): string {
  if (!counts) return 'n/a';
  if (messages <= 0) return '–';
  const per = (count: number) => (count / messages).toFixed(2);
  const roles = Object.entries(counts.byRole)
    .sort(([, a], [, b]) => b - a)
    .map(([role, count]) => `${role} ${per(count)}`);
  const missing = counts.processes < counts.of ? ` (${counts.of - counts.processes} of ${counts.of} processes logged none)` : '';
  return `${per(counts.total)}: ${roles.join(', ')}${missing}`;
}

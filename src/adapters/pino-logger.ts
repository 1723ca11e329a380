import { pino, type Logger } from 'pino';

/**
 * JSON lines on stdout, one per event, with ISO timestamps. Written asynchronously: a synchronous write to a
 * stdout that cannot keep up (a full pipe) would stall the event loop, and with it every request. Lines still
 * buffered are flushed at exit; a SIGKILL can lose the last few.
 */
export function createLogger(level: string): Logger {
  return pino(
    {
      level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    pino.destination({ dest: 1, sync: false }),
  );
}

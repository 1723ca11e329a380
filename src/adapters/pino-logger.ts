import { pino, type Logger } from 'pino';

/** JSON lines on stdout, one per event, with ISO timestamps. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  });
}

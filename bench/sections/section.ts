import type { Service } from '../../scripts/local-services.ts';
import type { TestMode } from '../../test/support/test-modes.ts';

/** What every section is told about the run. */
export interface BenchContext {
  /** `npm run bench -- --quick`: shorter runs and smaller data, the whole run under 3 minutes. */
  quick: boolean;
  /** The modes this machine can run: embedded always, distributed with PostgreSQL + Kafka. */
  modes: TestMode[];
  log(line: string): void;
}

export type Cell = string | number | null;

export interface SectionResult {
  /** The table BENCHMARKS.md shows for the section. */
  columns: string[];
  rows: Cell[][];
  /** Lines under the table: what was measured and how. */
  notes: string[];
  /** Everything measured, for bench/results/<date>.json. */
  data: unknown;
}

/** One part of `npm run bench`. Sections for files and WebSockets join by adding an entry to the registry. */
export interface Section {
  name: string;
  title: string;
  /** Services besides PostgreSQL and Kafka, started for this section only (e.g. S3 for files). */
  services?: Service[];
  run(context: BenchContext): Promise<SectionResult>;
}

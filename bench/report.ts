import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { MachineInfo } from './machine.ts';
import type { Cell, SectionResult } from './sections/section.ts';

export interface RunReport {
  startedAt: string;
  finishedAt: string;
  quick: boolean;
  command: string;
  machine: MachineInfo;
  loadAfter: { loadavg1: number };
  sections: Array<{ name: string; title: string; seconds: number; result?: SectionResult; error?: string }>;
}

const BEGIN = '<!-- bench:begin (written by npm run bench; edit outside these markers) -->';
const END = '<!-- bench:end -->';

const cell = (value: Cell) => (value === null ? '–' : typeof value === 'number' ? value.toLocaleString('en-US') : value);

function table(columns: string[], rows: Cell[][]): string {
  return [
    `| ${columns.join(' | ')} |`,
    `|${columns.map(() => '---').join('|')}|`,
    ...rows.map((row) => `| ${row.map(cell).join(' | ')} |`),
  ].join('\n');
}

export function markdown(report: RunReport): string {
  const m = report.machine;
  const parts = [
    `### Run of ${report.startedAt} (\`${report.command}\`)`,
    '',
    table(
      ['machine', ''],
      [
        ['CPU', `${m.cpu}, ${m.cores} cores`],
        ['memory', `${m.memoryGiB} GiB`],
        ['OS', m.os],
        ['Node', m.node],
        ['PostgreSQL', m.postgres],
        ['PGlite', m.pglite],
        ['Kafka', m.kafka],
        ['load before the run', `load average ${m.loadBefore.loadavg1}, both cores ${m.loadBefore.busyPercent} % busy over 2 s`],
        ['load after the run', `load average ${report.loadAfter.loadavg1}`],
      ],
    ),
  ];
  for (const section of report.sections) {
    parts.push('', `#### ${section.title} (${Math.round(section.seconds)} s)`, '');
    if (!section.result) {
      parts.push(`Failed: ${section.error}`);
      continue;
    }
    parts.push(table(section.result.columns, section.result.rows), '', ...section.result.notes.map((note) => `- ${note}`));
  }
  return parts.join('\n');
}

/** Replaces the generated part of BENCHMARKS.md, keeping what people wrote around it. */
export function writeBenchmarksMd(file: string, generated: string): void {
  const current = existsSync(file) ? readFileSync(file, 'utf8') : `# Benchmarks\n\n${BEGIN}\n${END}\n`;
  const start = current.indexOf(BEGIN);
  const end = current.indexOf(END);
  const next =
    start >= 0 && end > start
      ? `${current.slice(0, start + BEGIN.length)}\n${generated}\n${current.slice(end)}`
      : `${current.trimEnd()}\n\n${BEGIN}\n${generated}\n${END}\n`;
  writeFileSync(file, next);
}

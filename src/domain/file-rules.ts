/** Files: sizes, the chunk layout of an upload, and what a checksum looks like. */

export const MAX_FILE_SIZE = 2 * 1024 * 1024 * 1024; // 2 GiB, the seed's limit
export const MIN_CHUNK_SIZE = 5 * 1024 * 1024; // S3's smallest part (all parts but the last)
export const MAX_CHUNK_SIZE = 64 * 1024 * 1024;

export const FileStatuses = ['uploading', 'verifying', 'completed', 'failed'] as const;
export type FileStatus = (typeof FileStatuses)[number];

/** Chunks are numbered from 0; every chunk has `chunkSize` bytes except the last, which has the rest. */
export interface ChunkLayout {
  fileSize: number;
  chunkSize: number;
}

export function totalChunks({ fileSize, chunkSize }: ChunkLayout): number {
  return Math.ceil(fileSize / chunkSize);
}

export function chunkLength(layout: ChunkLayout, chunkId: number): number {
  const last = totalChunks(layout) - 1;
  return chunkId < last ? layout.chunkSize : layout.fileSize - last * layout.chunkSize;
}

/** Chunks that are not among `received` (ids of parts stored with their exact length), in order. */
export function missingChunks(layout: ChunkLayout, received: ReadonlySet<number>): number[] {
  return Array.from({ length: totalChunks(layout) }, (_, id) => id).filter((id) => !received.has(id));
}

export const SHA256_HEX = /^[0-9a-f]{64}$/;

/** Checksums are compared in lower case, as `sha256sum` prints them. */
export function normalizeSha256(value: string): string | undefined {
  const lower = value.trim().toLowerCase();
  return SHA256_HEX.test(lower) ? lower : undefined;
}

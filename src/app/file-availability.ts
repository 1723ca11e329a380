import type { BlobStorage } from '../ports/blob-storage.ts';
import type { FileCatalog } from '../ports/file-catalog.ts';

/** What the router asks before it routes a file message: is the object really in storage? */
export class FileAvailability {
  readonly #files: FileCatalog;
  readonly #storage: BlobStorage;

  constructor(files: FileCatalog, storage: BlobStorage) {
    this.#files = files;
    this.#storage = storage;
  }

  /** For each file that cannot be delivered, the reason; files that can are absent from the map. */
  async problems(fileIds: readonly string[]): Promise<Map<string, string>> {
    const problems = new Map<string, string>();
    await Promise.all(
      [...new Set(fileIds)].map(async (fileId) => {
        const problem = await this.#problem(fileId);
        if (problem) problems.set(fileId, problem);
      }),
    );
    return problems;
  }

  async #problem(fileId: string): Promise<string | undefined> {
    const file = await this.#files.find(fileId);
    if (!file || file.status !== 'completed') return `file ${fileId} is not a completed upload`;
    const size = await this.#storage.size(fileId);
    if (size === undefined) return `file ${fileId} is missing from storage`;
    if (size !== file.fileSize) return `file ${fileId} in storage has ${size} bytes instead of ${file.fileSize}`;
    return undefined;
  }
}

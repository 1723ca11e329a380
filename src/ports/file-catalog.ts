export interface StoredFile {
  fileId: string;
  uploaderId: string;
  status: 'uploading' | 'completed' | 'failed';
}

/** What the messaging side needs to know about uploaded files. */
export interface FileCatalog {
  find(fileId: string): Promise<StoredFile | undefined>;
}

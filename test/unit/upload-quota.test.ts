import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DomainError } from '../../src/domain/errors.ts';
import { admitUpload } from '../../src/domain/upload-quota.ts';

const quota = { maxOpenUploads: 3, maxStoredBytes: 1000 };
const refusedWith = (code: string) => (error: unknown) => error instanceof DomainError && error.code === code;

describe('admitUpload', () => {
  it('admits an upload that fits both limits exactly', () => {
    admitUpload(quota, { openUploads: 2, storedBytes: 600 }, 400);
  });

  it('refuses one more upload than maxOpenUploads', () => {
    assert.throws(() => admitUpload(quota, { openUploads: 3, storedBytes: 0 }, 1), refusedWith('UPLOAD_LIMIT_REACHED'));
  });

  it('refuses a byte more than is left of maxStoredBytes, naming file_size', () => {
    assert.throws(
      () => admitUpload(quota, { openUploads: 0, storedBytes: 600 }, 401),
      (error: unknown) => refusedWith('STORAGE_QUOTA_EXCEEDED')(error) && (error as DomainError).fieldErrors?.file_size !== undefined,
    );
  });

  it('says nothing is left when a lowered quota is already exceeded', () => {
    assert.throws(
      () => admitUpload(quota, { openUploads: 0, storedBytes: 5000 }, 1),
      (error: unknown) => (error as DomainError).fieldErrors?.file_size?.[0] === 'must be at most 0, what is left of the storage quota',
    );
  });
});

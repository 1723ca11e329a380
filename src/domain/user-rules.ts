import { validationError } from './errors.ts';

export const USERNAME_PATTERN = '^[A-Za-z0-9_.-]{1,64}$';
export const MIN_PASSWORD_LENGTH = 8;
/** bcrypt ignores everything past 72 bytes; refuse longer passwords rather than silently truncate. */
export const MAX_PASSWORD_BYTES = 72;

export function checkNewCredentials(username: string, password: string): void {
  if (!new RegExp(USERNAME_PATTERN).test(username)) {
    throw validationError('username', 'must be 1-64 characters of letters, digits, "_", "." or "-"');
  }
  if ([...password].length < MIN_PASSWORD_LENGTH) {
    throw validationError('password', `must be at least ${MIN_PASSWORD_LENGTH} characters`);
  }
  if (Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES) {
    throw validationError('password', `must be at most ${MAX_PASSWORD_BYTES} bytes`);
  }
}

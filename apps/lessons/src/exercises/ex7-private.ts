/**
 * Lesson 7, exercise: a file for its owner only, created exclusively, no link followed.
 *
 *   node dist/exercises/ex7-private.js <path>
 */
import { closeSync, constants, fchmodSync, fstatSync, openSync, writeSync } from 'node:fs';
import { arg, say } from '../common/say.js';

const path = arg(0, 'file path');

// #region solution
let fd: number;
try {
  // O_EXCL: fail if the name exists (even as a symlink); O_NOFOLLOW: never follow one.
  fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
} catch (error) {
  say(`refused: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  process.exit(1);
}
fchmodSync(fd, 0o600); // the umask can only take bits away, but say what you mean
writeSync(fd, 'for my eyes only\n');
say(`created ${path}: mode ${(fstatSync(fd).mode & 0o777).toString(8).padStart(4, '0')}`);
closeSync(fd);
// #endregion solution

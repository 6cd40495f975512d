/**
 * Lesson 8, the Node writer on a broken pipe: c/tb_sigpipe.c starts it with its stdout on a pipe whose
 * read end is closed. Node ignores SIGPIPE when it starts, so the write does not kill it: the stream
 * emits an 'error' whose code is EPIPE. It says so in its exit code (its stdout cannot carry it).
 *
 *   node dist/08-toolbox/epipe.js        (stdout: a pipe nobody reads; exits with 32 on EPIPE)
 */

// #region epipe
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  process.exitCode = error.code === 'EPIPE' ? 32 : 1; // 32: EPIPE's number on Linux
});
process.stdout.write('hello\n');
// #endregion epipe

// Lesson 7, exercise: make a file for its owner only, the way ipckit makes its objects. Complete the
// TODO, then check your attempt: npm run lesson -- check 7   (the solution: src/exercises/ex7-private.ts)
//
//   node ex7-private.mjs <path>   creates <path> holding a secret; prints "created <path>: mode 0600"
//
// Three rules (lesson 7, step 1): mode 0600 whatever the umask; create exclusively, so that a name
// someone else made first (a file, a planted symlink) is refused with EEXIST instead of opened; and
// never follow a link. A refusal prints "refused: <the error code>" and exits with status 1.
import { writeFileSync } from 'node:fs';

const path = process.argv[2];

// TODO: this opens whatever is there, follows links, and takes its mode from the umask (often 0644).
writeFileSync(path, 'for my eyes only\n');
console.log(`created ${path}: mode 0644?`);

// Lesson 7 under Windows Node (the Windows lane: node.exe in Wine), its C programs built with mingw:
// what Wine answers about DACLs, FILE_FLAG_FIRST_PIPE_INSTANCE and impersonation, quoted as such.
import { lessonTest } from './run-lesson.mjs';

lessonTest(7);

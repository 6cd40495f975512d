// Lesson 8 under Windows Node (the Windows lane: node.exe in Wine), its C programs built with mingw.
import { lessonTest } from './run-lesson.mjs';

lessonTest(8);

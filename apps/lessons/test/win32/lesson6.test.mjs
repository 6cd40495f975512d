// Lesson 6 under Windows Node (the Windows lane: node.exe in Wine): a publisher and three
// subscribers on shm://, tcp:// and pipe://, the slow-subscriber policies, the mailslot's one reader.
import { lessonTest } from './run-lesson.mjs';

lessonTest(6);

/**
 * Lesson 1, exercise: a request and its reply out of two mailslots. Each client makes a reply slot
 * of its own and names it in the request; the server writes the answer there.
 *
 *   node dist/exercises/ex1-reply.js serve <name> <requests>      answers <requests> requests, then exits
 *   node dist/exercises/ex1-reply.js ask <name> <question>        asks once, prints the answer
 */
import { connectMailslot, listenMailslot } from '@ipckit/mailslot';
import { arg, decode, encode, say } from '../common/say.js';

const [mode, name] = [arg(0, 'serve or ask'), arg(1, 'mailslot name')];

// #region solution
if (mode === 'serve') {
  const slot = await listenMailslot(name);
  say(`serving ${name}`);
  const requests = slot.receiver[Symbol.asyncIterator]();
  for (let i = 0; i < Number(arg(2, 'requests')); i++) {
    const next = await requests.next();
    if (next.done === true) break;
    const [replyTo = '', question = ''] = decode(next.value).split('\n'); // "<reply slot>\n<question>"
    const reply = await connectMailslot(replyTo); // a writer on the client's own slot
    await reply.send(encode(`you asked "${question}"; the answer is ${String(question.length)} characters long`));
    await reply.close();
  }
  await slot.close();
} else {
  const replyName = `${name}.reply-${String(process.pid)}`;
  const replies = await listenMailslot(replyName); // the way back, made before asking
  const server = await connectMailslot(name);
  await server.send(encode(`${replyName}\n${arg(2, 'question')}`));
  await server.close();
  const answer = await replies.receiver[Symbol.asyncIterator]().next();
  if (answer.done !== true) say(`answer: ${decode(answer.value)}`);
  await replies.close();
}
// #endregion solution

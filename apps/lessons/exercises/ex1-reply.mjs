// Lesson 1, exercise: a request and its reply through two mailslots. Complete the two TODOs, then
// check your attempt: npm run lesson -- check 1   (the solution: src/exercises/ex1-reply.ts)
//
//   node ex1-reply.mjs serve <name> <requests>   answers <requests> requests, then exits
//   node ex1-reply.mjs ask <name> <question>     asks once and prints "answer: <the answer>"
//
// The server answers: you asked "<question>"; the answer is <length of the question> characters long
import { connectMailslot, listenMailslot } from '@ipckit/mailslot';

const [mode, name, third] = process.argv.slice(2);
const encode = (text) => new TextEncoder().encode(text);
const decode = (bytes) => new TextDecoder().decode(bytes);

if (mode === 'serve') {
  const slot = await listenMailslot(name);
  console.log(`serving ${name}`);
  const requests = slot.receiver[Symbol.asyncIterator]();
  for (let i = 0; i < Number(third); i++) {
    const next = await requests.next();
    if (next.done) break;
    // TODO: the request says where to answer (a mailslot the client made) and what it asks.
    //       Open a writer on that slot (connectMailslot) and send the answer there.
    console.log(`got a request: ${decode(next.value)}`);
  }
  await slot.close();
} else {
  const server = await connectMailslot(name);
  // TODO: a mailslot is one-way. Make a reply slot of your own first (listenMailslot), name it in the
  //       request, then wait for the answer there and print it.
  await server.send(encode(third));
  await server.close();
  console.log('answer: (not written yet)');
}

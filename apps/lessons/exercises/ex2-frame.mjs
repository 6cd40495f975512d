// Lesson 2, exercise: speak ipckit's framing by hand. Complete the TODOs, then check your attempt:
// npm run lesson -- check 2   (the solution: src/exercises/ex2-frame.ts)
//
//   node ex2-frame.mjs <pipe name> <text>   sends <text> as one frame, prints "the reply frame: …"
//
// A frame is a 4-byte little-endian length, then that many bytes (docs/framing.md). The lesson's
// server answers each message with the same text in capitals.
import { connectStream } from '@ipckit/named-pipe';

const [name, text] = process.argv.slice(2);
const socket = await connectStream(name); // the raw byte stream of pipe://<name>

// TODO: build one frame holding `text` and write it.
socket.write(new TextEncoder().encode(text));

// TODO: chunks arrive cut anywhere: collect them until you hold 4 bytes of length and that many
//       bytes, then print: the reply frame: 4 + <length> bytes, "<the text>"
console.log('the reply frame: (not read yet)');
socket.destroy();

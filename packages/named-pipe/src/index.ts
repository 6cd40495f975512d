/**
 * @ipckit/named-pipe: `pipe://name`. Windows named pipes (`\\.\pipe\name`)
 * and Unix domain sockets, as framed message channels (the common
 * interface) or raw byte streams.
 */
export { DEFAULT_MAX_MESSAGE_BYTES, connectStream, listenStream, pipePath, transport } from './named-pipe.js';

/**
 * @ipckit/tcp: `tcp://host:port`. The common interface over TCP: the baseline
 * every benchmark compares with, and the way across machines.
 */
export { DEFAULT_MAX_MESSAGE_BYTES, formatEndpoint, parseEndpoint, transport, type TcpEndpoint } from './tcp.js';
export { procAddress, tcpPeerKey, tcpPeerUid, type TcpEnds } from './peer.js';

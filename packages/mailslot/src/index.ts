/**
 * @ipckit/mailslot: `mailslot://name`. One-way datagrams from any number of
 * writers to one reader: Windows mailslots (`\\.\mailslot\name`), and on
 * POSIX their closest counterpart, a Unix domain datagram socket.
 */
export {
  DEFAULT_MAX_MESSAGE_BYTES,
  MailslotListener,
  MailslotReceiver,
  MailslotSender,
  connectMailslot,
  listenMailslot,
  mailslotPath,
  maxMessageBytesLimit,
  transport,
  type MailslotInfo,
  type MailslotListenOptions,
  type WindowsMailslotListenOptions,
} from './mailslot.js';

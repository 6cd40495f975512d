/**
 * The `ipckit` command line: every command, its help, and how each ends
 * (exit.ts). Built on commander (https://github.com/tj/commander.js), which
 * gives each command its help and refuses what it does not know.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import type { Context } from './context.js';
import { EXIT, EXIT_CODES_HELP, errorLine, exitCodeOf } from './exit.js';
import { OUTPUT_FORMATS, type OutputFormat } from './format.js';
import type { Split } from './input.js';
import type { OutputOptions } from './output.js';

// Each command's module is loaded when that command runs, so `ipckit send` loads one transport
// and nothing of ls, inspect, region or the bench: start-up stays fast enough for shell loops.
const commands = {
  listen: () => import('./commands/listen.js'),
  send: () => import('./commands/send.js'),
  session: () => import('./commands/session.js'),
  relay: () => import('./commands/relay.js'),
  inventory: () => import('./commands/inventory.js'),
  inspect: () => import('./commands/inspect.js'),
  region: () => import('./commands/region.js'),
  bench: () => import('./commands/bench.js'),
  hz: () => import('./commands/hz.js'),
  tap: () => import('./commands/tap.js'),
  record: () => import('./commands/record.js'),
  replay: () => import('./commands/replay.js'),
  bridge: () => import('./commands/bridge.js'),
};

const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

const ADDRESSES = `Addresses
  pipe://NAME        a named pipe (Windows) or Unix domain socket (POSIX)
  shm://NAME         shared memory: lock-free rings, futex / named-event wake-ups
  mailslot://NAME    one-way datagrams: a Windows mailslot or a Unix datagram socket
  tcp://HOST:PORT    TCP (loopback by default)
  nats://HOST:PORT/NAME  a service or topic on a NATS server (@ipckit/nats)`;

/** A whole number within [min, max], for commander's argument parsers. */
function integer(what: string, min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${what} must be a whole number from ${min}${max === Number.MAX_SAFE_INTEGER ? '' : ` to ${max}`}`);
    }
    return n;
  };
}

/** A byte count: a whole number, or with k, m or g (KiB, MiB, GiB): 16m, 64k. */
function size(what: string): (value: string) => number {
  return (value) => {
    const match = /^(\d+)([kmg]?)(?:i?b)?$/i.exec(value.trim());
    const n = match ? Number(match[1]) * 1024 ** ' kmg'.indexOf((match[2] || ' ').toLowerCase()) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < 1 || n > 0xffff_ffff)
      throw new InvalidArgumentError(`${what} must be a size from 1 byte to 4 GiB (e.g. 1048576, 64k, 32m)`);
    return n;
  };
}

const FORMATS_HELP =
  'how each message is written: text (UTF-8, a newline after each; bytes that are not UTF-8 become U+FFFD, said on stderr), hex (as hexdump -C), json (a JSON line each), raw (the bytes exactly, then --delimiter) or length-prefixed (a u32 little-endian length, then the bytes)';
const formatOption = (): Option => new Option('-f, --format <format>', FORMATS_HELP).choices(OUTPUT_FORMATS).default('text');
const outputDelimiterOption = (): Option =>
  new Option('-d, --delimiter <bytes>', 'with --format raw: written after each message (escapes \\n \\0 \\xHH; default \\n)');
const hexOption = (): Option => new Option('-x, --hex', 'the message (or each piece of stdin) is hex bytes, e.g. "68 65 6c 6c 6f"');
const maxOption = (): Option =>
  new Option('--max-message-bytes <size>', 'the largest message this side takes (default 16m on pipe:// and tcp://)').argParser(size('--max-message-bytes'));
const rawOption = (): Option => new Option('--raw', 'unframed byte streams, for peers that speak raw bytes (pipe:// and tcp:// only)').default(false);
const splitOptions = (command: Command): Command =>
  command
    .option('--whole', 'stdin whole is one message, its bytes exactly', false)
    .option('-d, --delimiter <bytes>', 'split stdin on these bytes instead of lines (escapes \\n \\r \\t \\0 \\\\ \\xHH), the delimiter taken off');

/** How stdin is cut into messages, from --whole and --delimiter. */
async function splitOf(o: { whole?: boolean; delimiter?: string }): Promise<Split> {
  if (o.whole === true && o.delimiter !== undefined) throw new (await import('./exit.js')).UsageError('--whole and --delimiter do not go together');
  if (o.whole === true) return { kind: 'whole' };
  if (o.delimiter !== undefined) return { kind: 'delimiter', delimiter: (await import('./input.js')).parseDelimiter(o.delimiter) };
  return { kind: 'lines' };
}

/** The output options, from --format and (for raw) --delimiter. */
async function outputOf(o: { format: OutputFormat; delimiter?: string }): Promise<OutputOptions> {
  if (o.delimiter === undefined) return { format: o.format };
  if (o.format !== 'raw') throw new (await import('./exit.js')).UsageError('--delimiter is for --format raw');
  return { format: o.format, delimiter: (await import('./input.js')).parseDelimiter(o.delimiter) };
}

const only = <K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } => (value === undefined ? {} : ({ [key]: value } as { [P in K]: V }));

/**
 * Runs the command line `argv` (without node and the script) in `ctx`;
 * resolves with the exit code. Errors become one line on stderr.
 */
export async function run(argv: string[], ctx: Context, stdin: NodeJS.ReadableStream = process.stdin): Promise<number> {
  let code: number = EXIT.OK;
  const program = new Command('ipckit');
  const done = (n: number): void => {
    code = n;
  };
  program
    .description('Talk to and inspect ipckit endpoints: pipe://, shm://, mailslot:// and tcp://.')
    .version(VERSION, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help for a command')
    .helpCommand('help [command]', 'show help for a command')
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({
      writeOut: (text) => ctx.out.write(text),
      writeErr: (text) => ctx.err.write(text),
      // Commander's own errors ("error: unknown option") in the one format of every error line.
      outputError: (text, write) => {
        write(`${ctx.errStyle.red('ipckit:')} EINVAL: ${text.replace(/^error: /, '')}`);
      },
    })
    .exitOverride()
    .enablePositionalOptions()
    .addHelpText('after', `\n${ADDRESSES}\n\n${EXIT_CODES_HELP}\n\nColour only on a terminal (NO_COLOR turns it off, FORCE_COLOR on). More: docs/cli.md`);

  program
    .command('listen')
    .description('serve ADDRESS and write each message every client sends, until Ctrl-C')
    .argument('<address>', 'the address to serve, e.g. pipe://demo')
    .addOption(formatOption())
    .addOption(outputDelimiterOption())
    .option('-e, --echo', 'answer each message with itself (not on one-way mailslot://)', false)
    .option('-n, --count <n>', 'stop after N messages (--raw: after N connections)', integer('--count', 1))
    .addOption(maxOption())
    .addOption(rawOption())
    .addHelpText(
      'after',
      `\nMessages go to stdout; connections are told on stderr. A message over --max-message-bytes closes its
channel: the sender sees EPIPE on its next send (a refusal of a small last message on pipe:// and tcp://
cannot reach the sender: their framing carries no reply). Ctrl-C or SIGTERM stops it cleanly, with exit code 0.

Examples
  ipckit listen pipe://demo --echo
  ipckit listen tcp://127.0.0.1:4000 --format raw > received.bin        bytes exactly, a newline after each
  ipckit listen shm://frames --format length-prefixed > frames.bin      u32 LE length + bytes (docs/framing.md)
  ipckit listen pipe://legacy --raw                                     a peer that speaks raw bytes`,
    )
    .action(async (address: string, o: { format: OutputFormat; delimiter?: string; echo: boolean; count?: number; maxMessageBytes?: number; raw: boolean }) => {
      const { listenCommand } = await commands.listen();
      done(
        await listenCommand(ctx, address, {
          ...(await outputOf(o)),
          echo: o.echo,
          raw: o.raw,
          ...only('count', o.count),
          ...only('maxMessageBytes', o.maxMessageBytes),
        }),
      );
    });

  splitOptions(
    program
      .command('send')
      .description('send MESSAGE to ADDRESS, or stdin: each line (bytes exactly), pieces between delimiters, or all of it')
      .argument('<address>', 'where to send, e.g. pipe://demo')
      .argument('[message]', 'the message; without it, stdin'),
  )
    .addOption(hexOption())
    .option('-w, --wait <ms>', 'wait up to MS milliseconds for a listener to appear', integer('--wait', 0))
    .addOption(maxOption())
    .addOption(rawOption())
    .addHelpText(
      'after',
      `\nStdin's bytes are sent as they are (never decoded): a line loses only its LF or CRLF.
Exit 1 with EPIPE when the listener closed the channel before taking every message (an ipckit listener
refuses a message over its --max-message-bytes so); EMSGSIZE for a message over this side's own maximum.

Examples
  ipckit send pipe://demo hello
  printf "one\\ntwo\\n" | ipckit send mailslot://log
  ipckit send --whole --max-message-bytes 64m pipe://files < photo.jpg
  find . -print0 | ipckit send --delimiter '\\0' tcp://127.0.0.1:4000
  ipckit send --hex tcp://127.0.0.1:4000 "de ad be ef"`,
    )
    .action(
      async (
        address: string,
        message: string | undefined,
        o: { hex?: boolean; wait?: number; whole?: boolean; delimiter?: string; maxMessageBytes?: number; raw: boolean },
      ) => {
        const { sendCommand } = await commands.send();
        const options = {
          input: o.hex === true ? ('hex' as const) : ('text' as const),
          split: await splitOf(o),
          raw: o.raw,
          ...only('waitMs', o.wait),
          ...only('maxMessageBytes', o.maxMessageBytes),
        };
        done(await sendCommand(ctx, address, message, options, stdin));
      },
    );

  program
    .command('request')
    .description('send MESSAGE to ADDRESS and write the reply')
    .argument('<address>', 'a duplex address: pipe://, shm:// or tcp://')
    .argument('<message>', 'the request')
    .addOption(formatOption())
    .addOption(outputDelimiterOption())
    .addOption(hexOption())
    .option('-t, --timeout <ms>', 'give up (exit 4) when the reply has not come within MS milliseconds', integer('--timeout', 1), 5000)
    .option('-w, --wait', 'wait for a listener to appear (within the timeout) instead of failing at once', false)
    .addOption(maxOption())
    .action(
      async (
        address: string,
        message: string,
        o: { format: OutputFormat; delimiter?: string; hex?: boolean; timeout: number; wait: boolean; maxMessageBytes?: number },
      ) => {
        const { requestCommand } = await commands.send();
        done(
          await requestCommand(ctx, address, message, {
            ...(await outputOf(o)),
            input: o.hex === true ? 'hex' : 'text',
            timeoutMs: o.timeout,
            wait: o.wait,
            ...only('maxMessageBytes', o.maxMessageBytes),
          }),
        );
      },
    );

  splitOptions(
    program
      .command('connect')
      .description('a two-way session with ADDRESS: stdin to the channel, what comes back to stdout (like socat - UNIX-CONNECT:)')
      .argument('<address>', 'e.g. pipe://demo, tcp://127.0.0.1:4000'),
  )
    .addOption(new Option('-f, --format <format>', FORMATS_HELP).choices(OUTPUT_FORMATS).default('text'))
    .addOption(hexOption())
    .option('-n, --count <n>', 'stop after N messages came back', integer('--count', 1))
    .option(
      '--linger <ms>',
      'after stdin ended, go on writing replies until none came for MS milliseconds (the peer closing ends it at once)',
      integer('--linger', 0),
      500,
    )
    .option('-w, --wait <ms>', 'wait up to MS milliseconds for a listener to appear', integer('--wait', 0))
    .addOption(maxOption())
    .addOption(rawOption())
    .addHelpText(
      'after',
      `\nOn a terminal: type a line, see the replies; Ctrl-D ends (Ctrl-C at once). In a script:
  printf 'ping\\n' | ipckit connect pipe://demo --count 1
The replies are written in --format, as listen writes messages (--delimiter here splits stdin).`,
    )
    .action(
      async (
        address: string,
        o: {
          format: OutputFormat;
          hex?: boolean;
          count?: number;
          linger: number;
          wait?: number;
          whole?: boolean;
          delimiter?: string;
          maxMessageBytes?: number;
          raw: boolean;
        },
      ) => {
        const { sessionCommand } = await commands.session();
        const options = {
          format: o.format,
          split: await splitOf(o),
          hex: o.hex === true,
          lingerMs: o.linger,
          raw: o.raw,
          ...only('count', o.count),
          ...only('waitMs', o.wait),
          ...only('maxMessageBytes', o.maxMessageBytes),
        };
        done(await sessionCommand(ctx, address, options, stdin));
      },
    );

  program
    .command('relay')
    .description('serve FROM and relay each client to its own channel to TO, both ways (like socat UNIX-LISTEN: TCP:)')
    .argument('<from>', 'the address to serve, e.g. pipe://front')
    .argument('<to>', 'where each client is relayed, e.g. tcp://127.0.0.1:4000')
    .addOption(maxOption())
    .addOption(rawOption())
    .addHelpText(
      'after',
      '\nExamples\n  ipckit relay pipe://front tcp://127.0.0.1:4000\n  ipckit relay --raw tcp://127.0.0.1:5000 pipe://legacy\nCtrl-C or SIGTERM stops it, with exit code 0.',
    )
    .action(async (from: string, to: string, o: { maxMessageBytes?: number; raw: boolean }) => {
      const { relayCommand } = await commands.relay();
      done(await relayCommand(ctx, from, to, { raw: o.raw, ...only('maxMessageBytes', o.maxMessageBytes) }));
    });

  program
    .command('ls')
    .description('list the ipckit objects on this machine: pipe and mailslot sockets, shm:// listeners and topics, regions, sync objects, stale ones marked')
    .argument('[names...]', 'only these names or addresses (`*` matches anything: "myapp-*", "shm://*")')
    .option('-l, --long', 'also show each object’s path', false)
    .option('--json', 'one JSON document (with --watch: one JSON line per event)', false)
    .option('-w, --watch', 'go on: show services as they appear, change and go (a line each; a live table on a terminal) until Ctrl-C', false)
    .option('--interval <ms>', 'with --watch: milliseconds between looks (default 500)', integer('--interval', 10, 2 ** 31 - 1))
    .addHelpText(
      'after',
      '\nSTATE: live (in use), stale (a crashed process left it: `ipckit clean` removes it), kept (kept on purpose),\nforeign (not provably ipckit’s, or another user’s: never touched), unknown (this OS gives no evidence).\n\n' +
        '--watch reports services (listeners, topics, regions, sync objects) by the same rule: one killed shows as gone\n' +
        'at the next look. Ctrl-C ends it with 130, SIGTERM with 0. docs/cli.md, `ipckit ls`.',
    )
    .action(async (names: string[], o: { long: boolean; json: boolean; watch: boolean; interval?: number }) => {
      const { lsCommand, watchCommand } = await commands.inventory();
      if (o.interval !== undefined && !o.watch) throw new (await import('./exit.js')).UsageError('--interval is for --watch');
      const options = { json: o.json, long: o.long, patterns: names, ...only('intervalMs', o.interval) };
      done(await (o.watch ? watchCommand(ctx, options) : lsCommand(ctx, options)));
    });

  program
    .command('clean')
    .description('remove the ipckit objects that are provably stale (never a live one, never one ipckit did not make)')
    .argument('[names...]', 'only these names or addresses (`*` matches anything)')
    .option('-n, --dry-run', 'say what would be removed, remove nothing', false)
    .option('--json', 'one JSON document', false)
    .addHelpText(
      'after',
      '\nEach object is checked again just before it is removed. On Windows there is nothing to clean: kernel objects vanish with their last handle.',
    )
    .action(async (names: string[], o: { dryRun: boolean; json: boolean }) => {
      const { cleanCommand } = await commands.inventory();
      done(await cleanCommand(ctx, { json: o.json, dryRun: o.dryRun, patterns: names }));
    });

  program
    .command('inspect')
    .description("show a live shm:// channel: its listener, connections being made, and each channel's rings")
    .argument('<address>', 'shm://NAME')
    .option('--json', 'one JSON document', false)
    .addHelpText('after', '\nRings: capacity, bytes in flight, and which side sleeps waiting for the other. It only reads: the channel is not disturbed.')
    .action(async (address: string, o: { json: boolean }) => {
      const { inspectCommand } = await commands.inspect();
      done(await inspectCommand(ctx, address, { json: o.json }));
    });

  program
    .command('region')
    .description('dump a shared-memory region as hex, or read it through a C struct')
    .argument('<name>', 'the region name, as given to createRegion (Windows: Local\\ or Global\\ prefixes allowed)')
    .option('-s, --struct <declaration>', 'C fields, e.g. "long ID; char name[20]" (this OS’s long and alignment)')
    .option('-o, --offset <bytes>', 'start here', integer('--offset', 0), 0)
    .option('--length <bytes>', 'hex: dump this many bytes (default: to the end)', integer('--length', 0))
    .option('-c, --count <n>', 'with --struct: this many structs in a row', integer('--count', 1), 1)
    .addOption(new Option('--platform <os>', 'with --struct: lay long out as on this OS').choices(['win32', 'posix']))
    .option('--allow-other-owner', 'open a region another user owns (POSIX)', false)
    .option('--json', 'JSON instead of text', false)
    .action(
      async (
        name: string,
        o: { struct?: string; offset: number; length?: number; count: number; platform?: 'win32' | 'posix'; json: boolean; allowOtherOwner: boolean },
      ) => {
        const { regionCommand } = await commands.region();
        done(
          await regionCommand(ctx, name, {
            offset: o.offset,
            count: o.count,
            json: o.json,
            allowOtherOwner: o.allowOtherOwner,
            ...(o.struct === undefined ? {} : { struct: o.struct }),
            ...(o.length === undefined ? {} : { length: o.length }),
            ...(o.platform === undefined ? {} : { platform: o.platform }),
          }),
        );
      },
    );

  program
    .command('bench')
    .description('run the comparison app (@ipckit/bench): `ipckit bench --quick`, `ipckit bench compare A.json B.json`')
    .argument('[args...]', 'its arguments; `ipckit bench --help` shows them')
    .helpOption(false)
    .allowUnknownOption()
    .passThroughOptions()
    .action(async (args: string[]) => {
      const { benchCommand } = await commands.bench();
      done(await benchCommand(ctx, args));
    });

  const topicOptions = (command: Command): Command =>
    command
      .option('-n, --count <n>', 'stop after N messages', integer('--count', 1))
      .option('--duration <ms>', 'stop after MS milliseconds', integer('--duration', 1))
      .option('-w, --wait <ms>', 'wait up to MS milliseconds for a publisher to appear (default: ENOENT at once)', integer('--wait', 0));
  type TopicFlags = { count?: number; duration?: number; wait?: number };
  const topicRead = (o: TopicFlags): { count?: number; durationMs?: number; waitMs?: number } => ({
    ...only('count', o.count),
    ...only('durationMs', o.duration),
    ...only('waitMs', o.wait),
  });

  topicOptions(
    program
      .command('hz')
      .description('measure a topic: messages/s, bytes/s and message sizes each second, then a summary')
      .argument('<address>', 'the topic, e.g. pipe://sensors')
      .option('--json', 'one JSON line per report', false),
  )
    .addHelpText('after', '\nCtrl-C, --count or --duration ends it with a summary. docs/cli.md, Topics.')
    .action(async (address: string, o: TopicFlags & { json: boolean }) => {
      const { hzCommand } = await commands.hz();
      done(await hzCommand(ctx, address, { json: o.json, ...topicRead(o) }));
    });

  topicOptions(
    program
      .command('tap')
      .description('subscribe to a topic and print each message: its seq, missed count, size and bytes')
      .argument('<address>', 'the topic, e.g. tcp://127.0.0.1:4000')
      .addOption(
        new Option('-f, --format <format>', 'text (one line each, control characters escaped), hex (as hexdump -C) or jsonl')
          .choices(['text', 'hex', 'jsonl'])
          .default('text'),
      ),
  )
    .addHelpText(
      'after',
      "\nA tap is one more subscriber. Under the publisher's block policy a tap that cannot keep up makes the\npublisher wait, until its block timeout disconnects the tap (ECONNRESET). docs/cli.md, Topics.",
    )
    .action(async (address: string, o: TopicFlags & { format: 'text' | 'hex' | 'jsonl' }) => {
      const { tapCommand } = await commands.tap();
      done(await tapCommand(ctx, address, { format: o.format, ...topicRead(o) }));
    });

  topicOptions(
    program
      .command('record')
      .description('record topics into an MCAP file, with the time each message was received')
      .argument('<addresses...>', 'the topics, e.g. pipe://camera tcp://127.0.0.1:4000')
      .requiredOption('-o, --output <file>', 'the MCAP file to write (refused when it exists, unless --force)')
      .option('--force', 'replace the file when it exists', false),
  )
    .addHelpText('after', '\nOne MCAP channel per address, no schema, the bytes as published. Ctrl-C ends it with a complete file.')
    .action(async (addresses: string[], o: TopicFlags & { output: string; force: boolean }) => {
      const { recordCommand } = await commands.record();
      done(await recordCommand(ctx, addresses, { output: o.output, force: o.force, ...topicRead(o) }));
    });

  program
    .command('replay')
    .description('publish the messages of an MCAP file again, at the recorded speed or --rate times it')
    .argument('<file>', 'an MCAP file, e.g. from ipckit record')
    .option('--to <address>', 'publish everything on this address instead of the recorded ones')
    .option(
      '-r, --rate <factor>',
      'speed: 2 twice as fast, 0.5 half as fast',
      (v: string) => {
        const n = Number(v);
        if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('--rate must be a number above 0');
        return n;
      },
      1,
    )
    .option('--wait-subscribers <n>', 'before the first message, wait until each topic has N subscribers', integer('--wait-subscribers', 1))
    .option('-t, --timeout <ms>', 'with --wait-subscribers: give up (exit 4) after MS milliseconds', integer('--timeout', 1))
    .action(async (file: string, o: { to?: string; rate: number; waitSubscribers?: number; timeout?: number }) => {
      const { replayCommand } = await commands.replay();
      done(
        await replayCommand(ctx, file, {
          rate: o.rate,
          ...only('to', o.to),
          ...only('waitSubscribers', o.waitSubscribers),
          ...only('waitTimeoutMs', o.timeout),
        }),
      );
    });

  program
    .command('bridge')
    .description('relay a local address or topic to nats:// and back (@ipckit/nats): `ipckit bridge pipe://a nats://hub:4222/a`')
    .argument('[args...]', '[--topic] FROM TO and the nats:// options; `ipckit bridge --help` shows them')
    .helpOption(false)
    .allowUnknownOption()
    .passThroughOptions()
    .action(async (args: string[]) => {
      const { bridgeCommand } = await commands.bridge();
      done(await bridgeCommand(ctx, args));
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version end with 0; every other parser error is a usage error.
      return error.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    }
    if (ctx.signal.aborted && (error as { code?: string }).code === 'ECANCELED') {
      ctx.note(`interrupted (${String(ctx.signal.reason)})`);
      return EXIT.INTERRUPTED;
    }
    ctx.err.write(`${ctx.errStyle.red('ipckit:')} ${errorLine(error)}\n`);
    return exitCodeOf(error);
  }
}

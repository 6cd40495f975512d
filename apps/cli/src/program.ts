/**
 * The `ipckit` command line: every command, its help, and how each ends
 * (exit.ts). Built on commander (https://github.com/tj/commander.js), which
 * gives each command its help and refuses what it does not know.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { benchCommand } from './commands/bench.js';
import { inspectCommand } from './commands/inspect.js';
import { cleanCommand, lsCommand } from './commands/inventory.js';
import { listenCommand, requestCommand, sendCommand } from './commands/messaging.js';
import { regionCommand } from './commands/region.js';
import type { Context } from './context.js';
import { EXIT, EXIT_CODES_HELP, errorLine, exitCodeOf } from './exit.js';
import { MESSAGE_FORMATS, type MessageFormat } from './format.js';

const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

const ADDRESSES = `Addresses
  pipe://NAME        a named pipe (Windows) or Unix domain socket (POSIX)
  shm://NAME         shared memory: lock-free rings, futex / named-event wake-ups
  mailslot://NAME    one-way datagrams: a Windows mailslot or a Unix datagram socket
  tcp://HOST:PORT    TCP (loopback by default)`;

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

const formatOption = (): Option =>
  new Option('-f, --format <format>', 'how each message is printed: text (UTF-8), hex (as hexdump -C) or json (one JSON line each)')
    .choices(MESSAGE_FORMATS)
    .default('text');
const hexOption = (): Option => new Option('-x, --hex', 'the message is hex bytes (e.g. "68 65 6c 6c 6f"), not text');

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
      outputError: (text, write) => {
        write(ctx.errStyle.red(text));
      },
    })
    .exitOverride()
    .enablePositionalOptions()
    .addHelpText('after', `\n${ADDRESSES}\n\n${EXIT_CODES_HELP}\n\nColour only on a terminal (NO_COLOR turns it off, FORCE_COLOR on). More: docs/cli.md`);

  program
    .command('listen')
    .description('serve ADDRESS and print each message every client sends, until Ctrl-C')
    .argument('<address>', 'the address to serve, e.g. pipe://demo')
    .addOption(formatOption())
    .option('-e, --echo', 'answer each message with itself (not on one-way mailslot://)', false)
    .option('-n, --count <n>', 'stop after N messages', integer('--count', 1))
    .option('--max-message-bytes <n>', 'the largest message accepted', integer('--max-message-bytes', 1))
    .addHelpText(
      'after',
      '\nMessages go to stdout, one per line (text and json) or as a hex dump; connections are told on stderr.\nCtrl-C or SIGTERM stops it cleanly, with exit code 0.',
    )
    .action(async (address: string, o: { format: MessageFormat; echo: boolean; count?: number; maxMessageBytes?: number }) => {
      done(
        await listenCommand(ctx, address, {
          format: o.format,
          echo: o.echo,
          ...(o.count === undefined ? {} : { count: o.count }),
          ...(o.maxMessageBytes === undefined ? {} : { maxMessageBytes: o.maxMessageBytes }),
        }),
      );
    });

  program
    .command('send')
    .description('send MESSAGE to ADDRESS, or each line of stdin as a message of its own')
    .argument('<address>', 'where to send, e.g. pipe://demo')
    .argument('[message]', 'the message; without it, each line read from stdin is one')
    .addOption(hexOption())
    .option('-w, --wait <ms>', 'wait up to MS milliseconds for a listener to appear', integer('--wait', 0))
    .addHelpText(
      'after',
      '\nExamples\n  ipckit send pipe://demo hello\n  printf "one\\ntwo\\n" | ipckit send mailslot://log\n  ipckit send --hex tcp://127.0.0.1:4000 "de ad be ef"',
    )
    .action(async (address: string, message: string | undefined, o: { hex?: boolean; wait?: number }) => {
      done(await sendCommand(ctx, address, message, { input: o.hex === true ? 'hex' : 'text', ...(o.wait === undefined ? {} : { waitMs: o.wait }) }, stdin));
    });

  program
    .command('request')
    .description('send MESSAGE to ADDRESS and print the reply')
    .argument('<address>', 'a duplex address: pipe://, shm:// or tcp://')
    .argument('<message>', 'the request')
    .addOption(formatOption())
    .addOption(hexOption())
    .option('-t, --timeout <ms>', 'give up (exit 4) when the reply has not come within MS milliseconds', integer('--timeout', 1), 5000)
    .option('-w, --wait', 'wait for a listener to appear (within the timeout) instead of failing at once', false)
    .action(async (address: string, message: string, o: { format: MessageFormat; hex?: boolean; timeout: number; wait: boolean }) => {
      done(await requestCommand(ctx, address, message, { format: o.format, input: o.hex === true ? 'hex' : 'text', timeoutMs: o.timeout, wait: o.wait }));
    });

  program
    .command('ls')
    .description('list the ipckit objects on this machine: pipe and mailslot sockets, shm:// listeners and shared regions, stale ones marked')
    .argument('[names...]', 'only these names or addresses (`*` matches anything: "myapp-*", "shm://*")')
    .option('-l, --long', 'also show each object’s path', false)
    .option('--json', 'one JSON document', false)
    .addHelpText(
      'after',
      '\nSTATE: live (in use), stale (a crashed process left it: `ipckit clean` removes it), kept (kept on purpose),\nforeign (not provably ipckit’s, or another user’s: never touched), unknown (this OS gives no evidence).',
    )
    .action(async (names: string[], o: { long: boolean; json: boolean }) => {
      done(await lsCommand(ctx, { json: o.json, long: o.long, patterns: names }));
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
      done(await cleanCommand(ctx, { json: o.json, dryRun: o.dryRun, patterns: names }));
    });

  program
    .command('inspect')
    .description("show a live shm:// channel: its listener, connections being made, and each channel's rings")
    .argument('<address>', 'shm://NAME')
    .option('--json', 'one JSON document', false)
    .addHelpText('after', '\nRings: capacity, bytes in flight, and which side sleeps waiting for the other. It only reads: the channel is not disturbed.')
    .action(async (address: string, o: { json: boolean }) => {
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
      done(await benchCommand(ctx, args));
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

/**
 * The conformance suite: one call runs the same tests on any transport, with
 * peers in separate OS processes. It only needs `describe` and a `test` that
 * takes a timeout, so it runs under Vitest on Linux and under node:test in
 * the Windows lane alike. Assertions use node:assert.
 *
 * ```ts
 * import { describe, it } from 'vitest';
 * import { runConformance } from '@ipckit/core/testing';
 * import { conformanceOptions } from '../src/testing.js';
 * runConformance({ describe, test: (name, fn, ms) => it(name, fn, ms) }, conformanceOptions);
 * ```
 *
 * It also holds the test support every package shares, so none keeps a copy:
 * `PeerProcess` (run a peer script or native program, read its stdout lines
 * and JSON events, wait, write, kill), `report`/`runPeer` (the peer script's
 * side of those events), and `within` (the one watchdog).
 */
import { uniqueName as defaultUniqueName } from '../names.js';
import type { Transport } from '../transport.js';
import { TestContext, assertSendOnly, type Suite, type SuiteTest } from './context.js';
import { PeerSet } from './peers.js';
import { apiTests } from './suite-api.js';
import { basicTests } from './suite-basics.js';
import { ruleTests } from './suite-rules.js';
import { within } from './watchdog.js';

export { OTHER_USER, anotherUser, asAnotherUser, peerAsAnotherUser, useSharedTmpDir, type OtherUser, type SharedTmpDir } from './another-user.js';
export { floodCounters, floodPeer, floodPeerAsAnotherUser, pollUntil, runFloodTests, type FloodShape, type FloodTestOptions } from './flood.js';
export { TestContext, drainToEnd, failsWith, nextOf, rejectsWith, sendUntilRejected } from './context.js';
export {
  STOP_MARKER,
  SequenceChecker,
  bulkMessage,
  fnv1a,
  patternMessage,
  readBulkMessage,
  readSequenceMessage,
  sameBytes,
  sequenceMessage,
} from './messages.js';
export { COMMON_BAD_NAMES } from './suite-basics.js';
export { PeerProcess, type EventMatch, type LineMatch, type PeerEvent, type PeerProcessOptions, type RunResult } from './peer-process.js';
export { PeerSet } from './peers.js';
export { report, runPeer } from './report.js';
export { within } from './watchdog.js';
export { runTopicConformance } from './topics.js';
export { DeliveryLog, readTopicMessage, topicMessage, type DeliverySummary } from './topic-messages.js';
export { TopicContext } from './topic-context.js';

/** The two functions of a test framework the suite needs. */
export interface TestApi {
  describe(name: string, fn: () => void): void;
  /** Registers a test; the framework must fail it after `timeoutMs`. */
  test(name: string, fn: () => Promise<void>, timeoutMs: number): void;
}

/** How to run the suite on one transport. */
export interface ConformanceOptions {
  /** A label for the describe block, e.g. "named-pipe". */
  label: string;
  /**
   * URL (file://) of a module exporting `transport`. Peer processes import it,
   * and so does the suite, so both sides run the same code.
   */
  moduleUrl: string;
  /** Makes a fresh name for each test; defaults to a unique short name. */
  uniqueName?: () => string | Promise<string>;
  /** Extra names the transport must reject with EINVAL. */
  badNames?: string[];
  /** How many messages the sequence tests send (default 10,000). */
  sequenceCount?: number;
  /** How many client processes the "several clients" test runs (default 4). */
  clients?: number;
  /** Multiplies every watchdog (slow machines, emulation). Default 1. */
  timeoutScale?: number;
}

/**
 * Registers the conformance tests for one transport: the basics (names,
 * listen, connect, sizes, order, many clients), every rule of the Channel
 * contract (transport.ts), and the everyday API of @ipckit/core on top of it.
 */
export function runConformance(api: TestApi, options: ConformanceOptions): void {
  const scale = options.timeoutScale ?? 1;
  let loaded: Promise<Transport> | undefined;
  const transport = (): Promise<Transport> => (loaded ??= import(options.moduleUrl).then((m: { transport: Transport }) => m.transport));
  const freshName = async (): Promise<string> => (options.uniqueName ? options.uniqueName() : defaultUniqueName('ipc'));

  /** Runs a test body with its own peers and resources, all cleaned up afterwards. */
  const test: SuiteTest = (name, timeoutMs, body) => {
    const budget = timeoutMs * scale;
    api.test(
      name,
      async () => {
        const ctx = new TestContext(await transport(), await freshName(), new PeerSet(options.moduleUrl, budget), freshName);
        try {
          // Our own watchdog fires a little before the framework's, so peers are killed and the reason is clear.
          await within(budget - 500, name, body(ctx));
        } finally {
          await ctx.cleanup();
        }
      },
      budget,
    );
  };
  // One-way transports state it in their Capabilities; there the test checks that the connect side really is send-only.
  const duplexTest: SuiteTest = (name, timeoutMs, body) => test(name, timeoutMs, async (ctx) => (ctx.duplex ? body(ctx) : assertSendOnly(ctx)));
  const suite: Suite = { describe: (name, fn) => api.describe(name, fn), test, duplexTest };

  api.describe(`conformance: ${options.label}`, () => {
    basicTests(suite, { sequenceCount: options.sequenceCount ?? 10_000, clientCount: options.clients ?? 4, badNames: options.badNames ?? [] });
    ruleTests(suite);
    apiTests(suite);
  });
}

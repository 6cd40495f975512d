/**
 * The topics section of the conformance suite (topic.ts's rules T1 to T5),
 * for every transport: where `Capabilities.topics` is false it checks that
 * publish and subscribe refuse with ENOTSUP and create nothing; where it is
 * true it runs every rule, with peers in separate processes.
 *
 * ```ts
 * import { describe, it } from 'vitest';
 * import { runTopicConformance } from '@ipckit/core/testing';
 * import { conformanceOptions } from '../src/testing.js';
 * runTopicConformance({ describe, test: (name, fn, ms) => it(name, fn, ms) }, conformanceOptions);
 * ```
 */
import { uniqueName as defaultUniqueName } from '../names.js';
import type { Transport } from '../transport.js';
import type { ConformanceOptions, TestApi } from './index.js';
import { COMMON_BAD_NAMES } from './suite-basics.js';
import { topicFlowTests } from './suite-topics-flow.js';
import { topicBasicTests, topicContractTests } from './suite-topics.js';
import { TopicContext, type TopicSuite, type TopicTest } from './topic-context.js';
import { within } from './watchdog.js';

/**
 * Registers the topics tests for one transport. Which of them run depends on
 * the transport's capabilities, which are known once its module is loaded:
 * so the module is imported here, before the tests are registered.
 */
export async function runTopicConformance(api: TestApi, options: ConformanceOptions): Promise<void> {
  const scale = options.timeoutScale ?? 1;
  const { transport } = (await import(options.moduleUrl)) as { transport: Transport };
  const freshName = async (): Promise<string> => (options.uniqueName ? options.uniqueName() : defaultUniqueName('topic'));
  const test: TopicTest = (name, timeoutMs, body) => {
    const budget = timeoutMs * scale;
    api.test(
      name,
      async () => {
        const ctx = new TopicContext(transport, await freshName(), options.moduleUrl, budget, freshName);
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
  const suite: TopicSuite = { describe: (name, fn) => api.describe(name, fn), test };
  api.describe(`topics conformance: ${options.label}`, () => {
    topicBasicTests(suite);
    if (!transport.capabilities.topics) return;
    topicContractTests(suite, options.badNames ?? [], COMMON_BAD_NAMES);
    topicFlowTests(suite, transport.capabilities.backend);
  });
}

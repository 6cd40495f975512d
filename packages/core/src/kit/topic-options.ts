import { IpcError } from '../errors.js';
import {
  DEFAULT_BLOCK_TIMEOUT_MS,
  DEFAULT_MAX_SUBSCRIBERS,
  DEFAULT_SLOW_SUBSCRIBER_POLICY,
  DEFAULT_TOPIC_CAPACITY,
  DEFAULT_TOPIC_HISTORY,
  MAX_SUBSCRIBERS,
  MAX_TOPIC_CAPACITY,
  SLOW_SUBSCRIBER_POLICIES,
  type PublishOptions,
  type SlowSubscriberPolicy,
  type SubscribeOptions,
} from '../topic.js';
import { DEFAULT_CONNECT_TIMEOUT_MS } from '../transport.js';
import { checkWait, type CheckedWait } from './cancel.js';
import { timeoutOption, validateInteger, validateSignal } from './validate.js';

/**
 * The option checks of topics, shared by core's `publish`/`subscribe` and by
 * every transport's own, so that a bad option is the same EINVAL everywhere,
 * raised before anything is created.
 */

/** {@link PublishOptions} checked, with every default filled in. */
export interface PublishSettings {
  readonly history: number;
  readonly capacity: number;
  readonly maxSubscribers: number;
  readonly policy: SlowSubscriberPolicy;
  /** Under `block`: how long a send waits for a subscriber without room before disconnecting it. */
  readonly blockTimeoutMs: number;
  readonly maxMessageBytes: number;
  readonly signal: AbortSignal | undefined;
}

/** {@link SubscribeOptions} checked. */
export interface SubscribeSettings {
  readonly maxMessageBytes: number;
  /** The subscribe's deadline (default DEFAULT_CONNECT_TIMEOUT_MS) and signal. */
  readonly wait: CheckedWait;
  readonly waitForPublisher: boolean;
}

/** The largest messages a transport's topics carry: the default, and the most an option may ask. */
export interface TopicSizeLimits {
  /** `maxMessageBytes` when the option is not given. */
  defaultBytes: number;
  /** The largest `maxMessageBytes` accepted. */
  limitBytes: number;
}

function optionsObject<T extends object>(options: T | null | undefined, what: string): Partial<T> {
  if (options === undefined || options === null) return {};
  if (typeof options !== 'object') throw new IpcError('EINVAL', `${what} options must be an object, got ${typeof options}`);
  return options;
}

/**
 * Checks publish options (IpcError EINVAL for anything out of range or of the
 * wrong type, ECANCELED for a signal already aborted) and fills in the
 * defaults written in topic.ts.
 */
export function publishSettings(options: PublishOptions | null | undefined, limits: TopicSizeLimits): PublishSettings {
  const given = optionsObject(options, 'publish');
  const history = given.history === undefined ? DEFAULT_TOPIC_HISTORY : validateInteger(given.history, 'history', 0, MAX_TOPIC_CAPACITY);
  const capacity =
    given.capacity === undefined ? Math.max(DEFAULT_TOPIC_CAPACITY, history) : validateInteger(given.capacity, 'capacity', 1, MAX_TOPIC_CAPACITY);
  if (history > capacity) throw new IpcError('EINVAL', `history (${history}) must not be over capacity (${capacity})`);
  const maxSubscribers =
    given.maxSubscribers === undefined ? DEFAULT_MAX_SUBSCRIBERS : validateInteger(given.maxSubscribers, 'maxSubscribers', 1, MAX_SUBSCRIBERS);
  const policy = given.policy ?? DEFAULT_SLOW_SUBSCRIBER_POLICY;
  if (!SLOW_SUBSCRIBER_POLICIES.includes(policy)) {
    throw new IpcError('EINVAL', `policy must be one of ${SLOW_SUBSCRIBER_POLICIES.join(', ')}, got ${JSON.stringify(policy)}`);
  }
  if (given.blockTimeoutMs !== undefined && policy !== 'block') {
    throw new IpcError('EINVAL', `blockTimeoutMs applies to the policy "block" only, not "${policy}"`);
  }
  const blockTimeoutMs = timeoutOption(given.blockTimeoutMs, DEFAULT_BLOCK_TIMEOUT_MS) as number;
  const maxMessageBytes =
    given.maxMessageBytes === undefined ? limits.defaultBytes : validateInteger(given.maxMessageBytes, 'maxMessageBytes', 0, limits.limitBytes);
  const signal = validateSignal(given.signal);
  return { history, capacity, maxSubscribers, policy, blockTimeoutMs, maxMessageBytes, signal };
}

/** Checks subscribe options (EINVAL, ECANCELED for a signal already aborted) and fills in the defaults. */
export function subscribeSettings(options: SubscribeOptions | null | undefined, limits: TopicSizeLimits): SubscribeSettings {
  const given = optionsObject(options, 'subscribe');
  const maxMessageBytes =
    given.maxMessageBytes === undefined ? limits.defaultBytes : validateInteger(given.maxMessageBytes, 'maxMessageBytes', 0, limits.limitBytes);
  if (given.waitForPublisher !== undefined && typeof given.waitForPublisher !== 'boolean') {
    throw new IpcError('EINVAL', 'waitForPublisher must be a boolean');
  }
  const wait = checkWait({ timeoutMs: given.timeoutMs, signal: given.signal }, DEFAULT_CONNECT_TIMEOUT_MS);
  return { maxMessageBytes, wait, waitForPublisher: given.waitForPublisher === true };
}

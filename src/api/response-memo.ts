/**
 * Answers kept for reuse. A Describe polled again and again (a waiter, Terraform's refresh, a dashboard) mostly
 * finds nothing changed: when the store says the resources its last answer read are unchanged (a stamp of their
 * write counts, see Store.readRecorded), the kept result is sent again with the new request id, without running
 * the handler or the serializer. Keyed by everything the answer depends on besides the store: API, account,
 * region, action and the request's parameters as sent.
 *
 * An answer is kept only once it is seen polled: the same request again with nothing changed since. Keeping costs
 * a copy of the result (150 KB for a Describe of 100 clusters); paid on every call of a stream of distinct
 * requests, those copies more than halved its throughput. A request seen once is remembered by its stamp alone.
 */
import type { ReadStamp } from '../store/store.js';

/** True while the resources a stamp names are unchanged (Store.unchanged). */
export type Unchanged = (stamp: ReadStamp) => boolean;

interface KeptAnswer {
  stamp: ReadStamp;
  /** The bytes of the result element's content. */
  result: Buffer;
}

/**
 * How many requests seen once are remembered. Few: a request that comes back only after many others would find its
 * kept answer pushed out by theirs (the budget holds about a hundred large ones), so keeping it would buy nothing.
 */
const SEEN_ONCE = 64;

/** Least recently used answers first out, within a budget of bytes (keys and results). */
export class ResponseMemo {
  private readonly answers = new Map<string, KeptAnswer>();
  private readonly seenOnce = new Map<string, ReadStamp>();
  private bytes = 0;

  constructor(
    private readonly unchanged: Unchanged,
    private readonly budgetBytes = 16 * 1024 * 1024,
  ) {}

  /** The kept result for this request, when what it read is unchanged. */
  lookup(key: string): Buffer | undefined {
    const kept = this.answers.get(key);
    if (!kept) return undefined;
    if (!this.unchanged(kept.stamp)) {
      this.forget(key);
      return undefined;
    }
    // Map order is insertion order: moving a hit to the end keeps the least recently used first.
    this.answers.delete(key);
    this.answers.set(key, kept);
    return kept.result;
  }

  /** Whether this request's answer should be kept now: it came before, and nothing it read has changed since. */
  polled(key: string): boolean {
    const stamp = this.seenOnce.get(key);
    return stamp !== undefined && this.unchanged(stamp);
  }

  /** Records an answer just sent: its result when it is worth keeping (see polled), otherwise its stamp alone. */
  record(key: string, stamp: ReadStamp, result: Buffer | undefined): void {
    this.forget(key);
    if (result === undefined) {
      this.seenOnce.set(key, stamp);
      for (const [oldest] of this.seenOnce) {
        if (this.seenOnce.size <= SEEN_ONCE) break;
        this.seenOnce.delete(oldest);
      }
      return;
    }
    const size = key.length + result.length;
    if (size > this.budgetBytes / 4) return;
    this.answers.set(key, { stamp, result });
    this.bytes += size;
    for (const [oldest] of this.answers) {
      if (this.bytes <= this.budgetBytes) break;
      this.forget(oldest);
    }
  }

  /** Forgets a request (its answer could not be stamped). */
  forget(key: string): void {
    this.seenOnce.delete(key);
    const kept = this.answers.get(key);
    if (!kept) return;
    this.answers.delete(key);
    this.bytes -= key.length + kept.result.length;
  }
}

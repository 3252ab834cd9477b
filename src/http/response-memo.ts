/**
 * Answers kept for reuse. A Describe polled again and again (a waiter, Terraform's refresh, a dashboard) mostly
 * finds nothing changed: when the API says the resources its last answer read are unchanged (a stamp of their
 * write counts, see Store.readRecorded), the kept result is sent again with the new request id, without running
 * the handler or the serializer. Keyed by everything the answer depends on besides the store: API, account,
 * region, action and the request's parameters as sent.
 */

interface KeptAnswer {
  stamp: unknown;
  /** The bytes of the result element's content. */
  result: Buffer;
}

/** Least recently used answers first out, within a budget of bytes (keys and results). */
export class ResponseMemo {
  private readonly answers = new Map<string, KeptAnswer>();
  private bytes = 0;

  constructor(private readonly budgetBytes = 16 * 1024 * 1024) {}

  get(key: string): KeptAnswer | undefined {
    const kept = this.answers.get(key);
    if (kept) {
      // Map order is insertion order: moving a hit to the end keeps the least recently used first.
      this.answers.delete(key);
      this.answers.set(key, kept);
    }
    return kept;
  }

  set(key: string, stamp: unknown, result: Buffer): void {
    this.forget(key);
    const size = key.length + result.length;
    if (size > this.budgetBytes / 4) return;
    this.answers.set(key, { stamp, result });
    this.bytes += size;
    for (const [oldest] of this.answers) {
      if (this.bytes <= this.budgetBytes) break;
      this.forget(oldest);
    }
  }

  forget(key: string): void {
    const kept = this.answers.get(key);
    if (!kept) return;
    this.answers.delete(key);
    this.bytes -= key.length + kept.result.length;
  }
}

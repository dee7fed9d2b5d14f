/**
 * What a pipelined consumer has taken from one partition and what of it is done, so that the
 * committed offset never passes a record that is not handled yet, whatever order records finish in.
 *
 * @example
 * const progress = new PartitionProgress(10n);
 * const a = progress.take(10n); const b = progress.take(11n);
 * progress.finish(b); progress.committable(); // 10n: record 10 is still running
 * progress.finish(a); progress.committable(); // 12n
 */
export class PartitionProgress {
  /** Offsets taken and not yet finished, oldest first (taken in increasing order). */
  readonly #open: { readonly offset: bigint; done: boolean }[] = [];
  /** The offset after the last record taken. */
  #next: bigint;
  /** False once the partition is revoked or the consumer stops: its records are abandoned. */
  active = true;

  constructor(startOffset: bigint) {
    this.#next = startOffset;
  }

  /** True when `offset` was taken already (a re-fetch after a rebalance or a retried fetch). */
  hasTaken(offset: bigint): boolean {
    return offset < this.#next;
  }

  /** Records taken and not finished. */
  get inFlight(): number {
    return this.#open.length;
  }

  take(offset: bigint): { readonly offset: bigint; done: boolean } {
    if (offset < this.#next) throw new RangeError(`offset ${offset} was taken already`);
    const entry = { offset, done: false };
    this.#open.push(entry);
    this.#next = offset + 1n;
    return entry;
  }

  finish(entry: { done: boolean }): void {
    entry.done = true;
    while (this.#open[0]?.done) this.#open.shift();
  }

  /** The offset to commit: the first record not finished, or the one after the last taken. */
  committable(): bigint {
    return this.#open[0]?.offset ?? this.#next;
  }
}

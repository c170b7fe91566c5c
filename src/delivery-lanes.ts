// Parts of a flush on the wire at once: MISP is the slow side of the chain, and different daily events do not wait
// for each other. One event's parts still go one after another: its first part creates the event in MISP, and a
// part that finds the event deleted stops the rest of it.

export class DeliveryLanes {
  readonly #limit: number;
  /** Deliveries on the wire; each settles without rejecting (a failure is kept in #failure). */
  readonly #running = new Set<Promise<void>>();
  /** Each event's latest delivery, while it runs. */
  readonly #latest = new Map<string, Promise<void>>();
  #failure: { readonly error: unknown } | undefined;

  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`at least one delivery at a time, not ${limit}`);
    this.#limit = limit;
  }

  /**
   * Resolves when `event`'s previous part has settled and a lane is free. Throws the first failure of any delivery
   * (once one failed, nothing more is started: the flush is going to fail and the next run sends it all again).
   */
  async ready(event: string): Promise<void> {
    await this.#latest.get(event);
    while (this.#running.size >= this.#limit && this.#failure === undefined) await Promise.race(this.#running);
    this.#throwIfFailed();
  }

  /** Starts a delivery of `event`'s next part; call after `ready(event)`. */
  start(event: string, delivery: () => Promise<void>): void {
    const settled: Promise<void> = delivery().then(
      () => undefined,
      (error: unknown) => {
        this.#failure ??= { error };
      },
    );
    const tracked = settled.finally(() => {
      this.#running.delete(tracked);
      if (this.#latest.get(event) === tracked) this.#latest.delete(event);
    });
    this.#running.add(tracked);
    this.#latest.set(event, tracked);
  }

  /**
   * Resolves when every delivery has settled, then throws the first failure, if any. Nothing may still be writing to
   * MISP once a flush has failed, or a retry could overtake it.
   */
  async settle(): Promise<void> {
    while (this.#running.size > 0) await Promise.all(this.#running);
    this.#throwIfFailed();
  }

  #throwIfFailed(): void {
    if (this.#failure !== undefined) throw this.#failure.error;
  }
}

/**
 * A promise made on first use and shared by every caller after it, unless it fails: a failed
 * attempt is forgotten, so the next call tries again (a daemon that was starting, a broker that
 * was down, a registry that did not answer). The connections, drivers and topic descriptions of
 * every backend are kept this way.
 */
export class Lazy<T> {
  private promise: Promise<T> | undefined;

  constructor(private readonly make: () => Promise<T>) {}

  /** The kept promise, or a new attempt. */
  get(): Promise<T> {
    if (!this.promise) {
      const promise = this.make();
      promise.catch(() => this.forget(promise));
      this.promise = promise;
    }
    return this.promise;
  }

  /** Forgets `promise` unless another attempt replaced it already: the next get() makes a new one (for a connection found closed). */
  forget(promise: Promise<T>): void {
    if (this.promise === promise) this.promise = undefined;
  }

  /** The value made (undefined when none was, or it failed), forgotten: for closing it. */
  async release(): Promise<T | undefined> {
    const value = await this.promise?.catch(() => undefined);
    this.promise = undefined;
    return value;
  }
}

/** Lazy promises by key (a topic, a schema id): each made on its key's first use, and kept unless it fails. */
export class LazyMap<K, V> {
  private readonly kept = new Map<K, Lazy<V>>();

  get(key: K, make: () => Promise<V>): Promise<V> {
    let lazy = this.kept.get(key);
    if (!lazy) this.kept.set(key, (lazy = new Lazy(make)));
    return lazy.get();
  }
}

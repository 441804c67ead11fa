/**
 * Memoizes an async builder for the life of the process: the first caller starts it, everyone
 * shares the same promise, and a failure is forgotten so that the next call tries again (a
 * hiccup reading a secret, a key or a file must not poison a warm container).
 */
export function once<T>(build: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    if (!pending) {
      pending = build();
      pending.catch(() => {
        pending = undefined;
      });
    }
    return pending;
  };
}

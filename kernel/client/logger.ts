/**
 * The little logging the client library does: a controller's failed sync, an
 * informer's broken watch. Structural, so the kernel's logger (or a test's
 * capturing one) fits without an adapter.
 */
export interface ClientLogger {
  info(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** Writes to stderr; the default when a component is given no logger. */
export const consoleLogger: ClientLogger = {
  info: (message, fields) => console.error(fields ? `${message} ${JSON.stringify(fields)}` : message),
  error: (message, fields) => console.error(fields ? `${message} ${JSON.stringify(fields)}` : message),
};

/** Discards everything. */
export const silentLogger: ClientLogger = {
  info: () => undefined,
  error: () => undefined,
};

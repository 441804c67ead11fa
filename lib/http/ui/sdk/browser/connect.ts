/*! Portico connect SDK (Apache-2.0) */
/**
 * The browser SDK served at `GET /sdk/connect.js`: connect() opens the provider flow in a popup
 * and settles when Portico's result page reports back. Its public types are `connect-types.d.ts`,
 * served as they are at `GET /sdk/connect.d.ts`; `SdkMatchesItsTypes` below keeps the two equal.
 */
import type {
  ConnectErrorCode,
  ConnectOptions,
  ConnectResult,
  ConnectUrlValue,
  PorticoConnectError as DeclaredError,
  connect as declaredConnect,
  isConnectError as declaredIsConnectError,
} from './connect-types.js';

const MESSAGES: Record<ConnectErrorCode, string> = {
  access_denied: 'Access was denied: the user declined on the provider consent screen.',
  popup_blocked:
    'The browser blocked the connect window. Call connect() directly inside a click handler, before any await.',
  popup_closed: 'The connect window was closed before the connection was made.',
  invalid_state: 'The connect session could not be verified. Start again.',
  expired: 'The connect session expired. Start again.',
  already_used: 'The connect session was already used. Start again.',
  exchange_failed: 'The provider did not accept the authorization code.',
  provider_error: 'The provider reported an error.',
  session_failed: 'Could not get a connect URL.',
  invalid_url: 'connectUrl must be an absolute http(s) URL.',
  aborted: 'Connecting was cancelled.',
};

/** An error with a stable code: access_denied, popup_blocked, popup_closed, invalid_state, expired, ... */
export class PorticoConnectError extends Error {
  declare readonly name: 'PorticoConnectError';
  declare readonly code: ConnectErrorCode | (string & {});
  constructor(code: ConnectErrorCode | (string & {}), message?: string, options?: { cause?: unknown }) {
    super(
      message || MESSAGES[code as ConnectErrorCode] || `Connecting failed (${code}).`,
      options as ErrorOptions,
    );
    this.name = 'PorticoConnectError';
    this.code = code;
  }
}

/** True for errors thrown by connect() (also across bundles that hold another copy of this module). */
export function isConnectError(error: unknown): error is PorticoConnectError {
  return (
    error instanceof PorticoConnectError ||
    (!!error &&
      (error as { name?: unknown }).name === 'PorticoConnectError' &&
      typeof (error as { code?: unknown }).code === 'string')
  );
}

function toUrl(value: unknown): URL | null {
  let given = value;
  if (
    given &&
    typeof given === 'object' &&
    !(given instanceof URL) &&
    typeof (given as { connectUrl?: unknown }).connectUrl === 'string'
  )
    given = (given as { connectUrl: string }).connectUrl;
  try {
    const url = new URL(String(given));
    return url.protocol === 'https:' || url.protocol === 'http:' ? url : null;
  } catch {
    return null;
  }
}

function features(width: number, height: number): string {
  const w = Math.min(width, screen.availWidth || width);
  const h = Math.min(height, screen.availHeight || height);
  const left = Math.max(0, Math.round((window.screenX || 0) + ((window.outerWidth || w) - w) / 2));
  const top = Math.max(0, Math.round((window.screenY || 0) + ((window.outerHeight || h) - h) / 3));
  return `popup=yes,width=${w},height=${h},left=${left},top=${top}`;
}

function placeholder(popup: Window): void {
  try {
    popup.document.title = 'Connecting…';
    popup.document.body.textContent = 'Connecting…';
  } catch {
    // Not ours to write to any more: it has navigated already.
  }
}

/**
 * Opens the connect popup and resolves with {connectionId, connectCode, connectSessionId} once the
 * user has connected: hand the code and session id to your backend, which confirms the flow for
 * the user signed in there (a forwarded connect link then cannot land on someone else's user).
 * Call it synchronously from a click handler: the window is opened before anything is awaited,
 * so popup blockers (Safari's too) let it through. connectUrl may be a URL, or a promise or
 * function answering one (or {connectUrl}) — the popup then shows a blank page until it arrives.
 * Only messages from the origin of connectUrl, sent by that very popup window, are believed.
 */
export function connect(options: ConnectOptions): Promise<ConnectResult> {
  const opts: Partial<ConnectOptions> = options || {};
  const source = opts.connectUrl;
  const direct = typeof source === 'string' || source instanceof URL;
  const url = direct ? toUrl(source) : null;
  if (direct && !url) return Promise.reject(new PorticoConnectError('invalid_url'));
  if (source === undefined || source === null)
    return Promise.reject(new PorticoConnectError('invalid_url', 'connect() needs a connectUrl.'));
  const signal = opts.signal;
  if (signal?.aborted) return Promise.reject(new PorticoConnectError('aborted'));

  let opened: Window | null = null;
  try {
    opened = window.open(
      url ? url.href : 'about:blank',
      `portico-connect-${Math.random().toString(36).slice(2)}`,
      features(opts.width || 520, opts.height || 720),
    );
  } catch {
    opened = null;
  }
  if (!opened) return Promise.reject(new PorticoConnectError('popup_blocked'));
  const popup = opened;
  if (!url) placeholder(popup);

  return new Promise<ConnectResult>((resolve, reject) => {
    let origin = url ? url.origin : null;
    let settled = false;
    let closedChecks = 0;

    function finish(error: PorticoConnectError | null, result?: ConnectResult): void {
      if (settled) return;
      settled = true;
      window.removeEventListener('message', onMessage);
      clearInterval(timer);
      signal?.removeEventListener('abort', onAbort);
      if (error) {
        try {
          if (!popup.closed) popup.close();
        } catch {
          // Already gone.
        }
        reject(error);
      } else if (result) {
        resolve(result);
      }
    }

    function onMessage(event: MessageEvent): void {
      // Believe only Portico's result page, in the window this call opened.
      if (origin === null || event.origin !== origin || event.source !== popup) return;
      const data: unknown = event.data;
      if (!data || typeof data !== 'object') return;
      const message = data as {
        type?: unknown;
        connectionId?: unknown;
        connectCode?: unknown;
        connectSessionId?: unknown;
        error?: unknown;
      };
      if (message.type === 'portico:connected' && typeof message.connectionId === 'string') {
        finish(null, {
          connectionId: message.connectionId,
          ...(typeof message.connectCode === 'string' ? { connectCode: message.connectCode } : {}),
          ...(typeof message.connectSessionId === 'string'
            ? { connectSessionId: message.connectSessionId }
            : {}),
        });
      } else if (message.type === 'portico:error') {
        finish(new PorticoConnectError(typeof message.error === 'string' ? message.error : 'provider_error'));
      }
    }

    function onAbort(): void {
      finish(new PorticoConnectError('aborted'));
    }

    const timer = setInterval(() => {
      let closed = true;
      try {
        closed = popup.closed;
      } catch {
        closed = true;
      }
      if (!closed) {
        closedChecks = 0;
        return;
      }
      // A result posted just before the window closed itself may still be queued: allow a beat.
      closedChecks += 1;
      if (closedChecks >= 2) finish(new PorticoConnectError('popup_closed'));
    }, 250);

    window.addEventListener('message', onMessage);
    signal?.addEventListener('abort', onAbort);

    if (!url) {
      Promise.resolve()
        .then(() => (typeof source === 'function' ? source() : source))
        .then(
          (value: ConnectUrlValue) => {
            if (settled) return;
            const target = toUrl(value);
            if (!target) return finish(new PorticoConnectError('invalid_url'));
            origin = target.origin;
            try {
              popup.location.replace(target.href);
            } catch (cause) {
              finish(new PorticoConnectError('popup_closed', undefined, { cause }));
            }
          },
          (cause: unknown) => {
            const reason = (cause as { message?: unknown } | null | undefined)?.message;
            const detail = reason ? `${MESSAGES.session_failed} ${reason}` : undefined;
            finish(new PorticoConnectError('session_failed', detail, { cause }));
          },
        );
    }
  });
}

/** Fails to compile when the module's exports drift from the declarations served beside it. */
export type SdkMatchesItsTypes = [
  Assignable<typeof connect, typeof declaredConnect>,
  Assignable<typeof isConnectError, typeof declaredIsConnectError>,
  Assignable<typeof PorticoConnectError, typeof DeclaredError>,
  Assignable<typeof DeclaredError, typeof PorticoConnectError>,
];
type Assignable<T extends U, U> = [T, U];

/**
 * The browser SDK served at `GET /sdk/connect.js`: plain ES2020 kept as a string, so no
 * deployment (local, Lambda) needs a build step to serve it. Its types are `connectTypes`,
 * served at `GET /sdk/connect.d.ts`. Written without `${`, backticks or backslashes.
 */
export const connectScript = `/*! Portico connect SDK (Apache-2.0) */
// connect() opens the provider flow in a popup and settles when Portico's result page reports back.

var MESSAGES = {
  access_denied: 'Access was denied: the user declined on the provider consent screen.',
  popup_blocked: 'The browser blocked the connect window. Call connect() directly inside a click handler, before any await.',
  popup_closed: 'The connect window was closed before the connection was made.',
  invalid_state: 'The connect session could not be verified. Start again.',
  expired: 'The connect session expired. Start again.',
  already_used: 'The connect session was already used. Start again.',
  exchange_failed: 'The provider did not accept the authorization code.',
  provider_error: 'The provider reported an error.',
  session_failed: 'Could not get a connect URL.',
  invalid_url: 'connectUrl must be an absolute http(s) URL.',
  aborted: 'Connecting was cancelled.'
};

/** An error with a stable code: access_denied, popup_blocked, popup_closed, invalid_state, expired, ... */
export class PorticoConnectError extends Error {
  constructor(code, message, options) {
    super(message || MESSAGES[code] || 'Connecting failed (' + code + ').', options);
    this.name = 'PorticoConnectError';
    this.code = code;
  }
}

/** True for errors thrown by connect() (also across bundles that hold another copy of this module). */
export function isConnectError(error) {
  return error instanceof PorticoConnectError || (!!error && error.name === 'PorticoConnectError' && typeof error.code === 'string');
}

function toUrl(value) {
  if (value && typeof value === 'object' && !(value instanceof URL) && typeof value.connectUrl === 'string') value = value.connectUrl;
  try {
    var url = new URL(String(value));
    return url.protocol === 'https:' || url.protocol === 'http:' ? url : null;
  } catch (e) {
    return null;
  }
}

function features(width, height) {
  var w = Math.min(width, screen.availWidth || width);
  var h = Math.min(height, screen.availHeight || height);
  var left = Math.max(0, Math.round((window.screenX || 0) + ((window.outerWidth || w) - w) / 2));
  var top = Math.max(0, Math.round((window.screenY || 0) + ((window.outerHeight || h) - h) / 3));
  return 'popup=yes,width=' + w + ',height=' + h + ',left=' + left + ',top=' + top;
}

function placeholder(popup) {
  try {
    popup.document.title = 'Connecting…';
    popup.document.body.textContent = 'Connecting…';
  } catch (e) {
    // Not ours to write to any more: it has navigated already.
  }
}

/**
 * Opens the connect popup and resolves with {connectionId} once the user has connected.
 * Call it synchronously from a click handler: the window is opened before anything is awaited,
 * so popup blockers (Safari's too) let it through. connectUrl may be a URL, or a promise or
 * function answering one (or {connectUrl}) — the popup then shows a blank page until it arrives.
 * Only messages from the origin of connectUrl, sent by that very popup window, are believed.
 */
export function connect(options) {
  var opts = options || {};
  var source = opts.connectUrl;
  var direct = typeof source === 'string' || source instanceof URL;
  var url = direct ? toUrl(source) : null;
  if (direct && !url) return Promise.reject(new PorticoConnectError('invalid_url'));
  if (source === undefined || source === null) return Promise.reject(new PorticoConnectError('invalid_url', 'connect() needs a connectUrl.'));
  if (opts.signal && opts.signal.aborted) return Promise.reject(new PorticoConnectError('aborted'));

  var popup = null;
  try {
    popup = window.open(url ? url.href : 'about:blank', 'portico-connect-' + Math.random().toString(36).slice(2), features(opts.width || 520, opts.height || 720));
  } catch (e) {
    popup = null;
  }
  if (!popup) return Promise.reject(new PorticoConnectError('popup_blocked'));
  if (!url) placeholder(popup);

  return new Promise(function (resolve, reject) {
    var origin = url ? url.origin : null;
    var settled = false;
    var closedChecks = 0;

    function finish(error, result) {
      if (settled) return;
      settled = true;
      window.removeEventListener('message', onMessage);
      clearInterval(timer);
      if (opts.signal) opts.signal.removeEventListener('abort', onAbort);
      if (error) {
        try {
          if (!popup.closed) popup.close();
        } catch (e) {
          // Already gone.
        }
        reject(error);
      } else {
        resolve(result);
      }
    }

    function onMessage(event) {
      // Believe only Portico's result page, in the window this call opened.
      if (origin === null || event.origin !== origin || event.source !== popup) return;
      var data = event.data;
      if (!data || typeof data !== 'object') return;
      if (data.type === 'portico:connected' && typeof data.connectionId === 'string') {
        finish(null, { connectionId: data.connectionId });
      } else if (data.type === 'portico:error') {
        finish(new PorticoConnectError(typeof data.error === 'string' ? data.error : 'provider_error'));
      }
    }

    function onAbort() {
      finish(new PorticoConnectError('aborted'));
    }

    var timer = setInterval(function () {
      var closed = true;
      try {
        closed = popup.closed;
      } catch (e) {
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
    if (opts.signal) opts.signal.addEventListener('abort', onAbort);

    if (!url) {
      Promise.resolve()
        .then(function () {
          return typeof source === 'function' ? source() : source;
        })
        .then(
          function (value) {
            if (settled) return;
            var target = toUrl(value);
            if (!target) return finish(new PorticoConnectError('invalid_url'));
            origin = target.origin;
            try {
              popup.location.replace(target.href);
            } catch (cause) {
              finish(new PorticoConnectError('popup_closed', undefined, { cause: cause }));
            }
          },
          function (cause) {
            var detail = cause && cause.message ? MESSAGES.session_failed + ' ' + cause.message : undefined;
            finish(new PorticoConnectError('session_failed', detail, { cause: cause }));
          }
        );
    }
  });
}
`;

/** TypeScript declarations for {@link connectScript}, served at `GET /sdk/connect.d.ts`. */
export const connectTypes = `/** Portico connect SDK (served at /sdk/connect.js). */

/** Why connect() failed. Codes from Portico's result page pass through as they are. */
export type ConnectErrorCode =
  | 'access_denied'
  | 'popup_blocked'
  | 'popup_closed'
  | 'invalid_state'
  | 'expired'
  | 'already_used'
  | 'exchange_failed'
  | 'provider_error'
  | 'session_failed'
  | 'invalid_url'
  | 'aborted';

export declare class PorticoConnectError extends Error {
  readonly name: 'PorticoConnectError';
  readonly code: ConnectErrorCode | (string & {});
  constructor(code: ConnectErrorCode | (string & {}), message?: string, options?: { cause?: unknown });
}

/** True for errors thrown by connect(). */
export declare function isConnectError(error: unknown): error is PorticoConnectError;

/** A connect URL, or something that answers one (your backend's \`POST /v1/connect-sessions\` answer works as is). */
export type ConnectUrlValue = string | URL | { connectUrl: string };
export type ConnectUrlSource = ConnectUrlValue | PromiseLike<ConnectUrlValue> | (() => ConnectUrlValue | PromiseLike<ConnectUrlValue>);

export interface ConnectOptions {
  /** The session's connectUrl; or a promise/function for it (the popup opens at once and waits). */
  connectUrl: ConnectUrlSource;
  /** Cancels the flow and closes the popup (rejects with code 'aborted'). */
  signal?: AbortSignal;
  /** Popup size in CSS pixels. Defaults: 520 x 720. */
  width?: number;
  height?: number;
}

export interface ConnectResult {
  connectionId: string;
}

/**
 * Opens the connect popup (synchronously: call it inside a click handler) and resolves with the
 * new connection's id; rejects with a PorticoConnectError on deny, error or a closed popup.
 */
export declare function connect(options: ConnectOptions): Promise<ConnectResult>;
`;

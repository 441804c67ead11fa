/** Portico connect SDK (served at /sdk/connect.js). */

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

/** A connect URL, or something that answers one (your backend's `POST /v1/connect-sessions` answer works as is). */
export type ConnectUrlValue = string | URL | { connectUrl: string };
export type ConnectUrlSource =
  | ConnectUrlValue
  | PromiseLike<ConnectUrlValue>
  | (() => ConnectUrlValue | PromiseLike<ConnectUrlValue>);

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
  /**
   * The flow's single-use code: send it with `connectSessionId` to your backend, which confirms
   * it for the user signed in there (`POST /v1/connect-sessions/{connectSessionId}/confirm`).
   * A tenant with `requireConfirmation` keeps the connection `pending` until then.
   */
  connectCode?: string;
  connectSessionId?: string;
}

/**
 * Opens the connect popup (synchronously: call it inside a click handler) and resolves with the
 * new connection's id and the code your backend confirms it with; rejects with a PorticoConnectError on deny, error or a closed popup.
 */
export declare function connect(options: ConnectOptions): Promise<ConnectResult>;

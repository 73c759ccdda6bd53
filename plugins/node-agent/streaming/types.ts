/**
 * The node side of Kubernetes' streaming protocols for `pods/exec` and
 * `pods/attach` (kubectl exec / attach): the API server hands the node agent
 * the raw upgraded connection (kernel/api/node-streams.ts); this module speaks
 * the protocol kubectl negotiated on it and gives the agent plain streams.
 *
 * Protocols: WebSocket `v5.channel.k8s.io` and `v4.channel.k8s.io` (kubectl
 * 1.30 and later, client-go, @kubernetes/client-node), and SPDY/3.1 with
 * `X-Stream-Protocol-Version: v4.channel.k8s.io` and older (kubectl 1.27-1.29).
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex, Readable, Writable } from 'node:stream';

/** What the command asked for, from the request's query (`stdin=true&stdout=true&tty=true&command=sh`). */
export interface RemoteCommandRequest {
  readonly command: readonly string[];
  readonly container: string;
  readonly stdin: boolean;
  readonly stdout: boolean;
  readonly stderr: boolean;
  readonly tty: boolean;
}

/** The streams of one exec/attach session, as the agent sees them. */
export interface RemoteCommandStreams {
  /** Data the client sends (ends when the client closes stdin); absent unless stdin was requested. */
  readonly stdin?: Readable;
  /** Absent unless requested. With a tty, stderr is merged into stdout (Kubernetes' rule). */
  readonly stdout?: Writable;
  readonly stderr?: Writable;
  readonly tty: boolean;
  /** Terminal size changes from the client (tty only), starting with the initial size when the client sends one. */
  onResize(listener: (size: { width: number; height: number }) => void): void;
  /** Aborted when the client goes away. */
  readonly signal: AbortSignal;
}

/** How the session ended: an exit code, or an error before/while running (e.g. the container is not running). */
export type RemoteCommandResult = { readonly exitCode: number } | { readonly error: string };

/**
 * Serve one exec/attach upgrade: negotiate the protocol (answering 400/403 in
 * Kubernetes' words if none fits), open the streams, run `handler`, report its
 * result on the error channel as a Status (Success; NonZeroExitCode with an
 * ExitCode cause; or Failure with the error message), then close.
 */
export type ServeRemoteCommand = (
  request: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  options: RemoteCommandRequest,
  handler: (streams: RemoteCommandStreams) => Promise<RemoteCommandResult>,
) => void;

/** Parse the query of an exec/attach request (`command` repeated, booleans as "true"/"1"). */
export type ParseRemoteCommandQuery = (query: URLSearchParams, kind: 'exec' | 'attach') => RemoteCommandRequest;

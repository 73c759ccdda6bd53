/**
 * The node's side of `pods/log`, `pods/exec` and `pods/attach` (the API
 * server hands them to the node that runs the pod, as kube-apiserver does to
 * the kubelet; kernel/api/node-streams.ts).
 *
 * logs: which container instance is read follows the kubelet's
 * validateContainerLogStatus: the running one, else the last terminated one;
 * `previous` reads the instance before it (400 `previous terminated
 * container "x" in pod "y" not found` when there is none); a container that
 * never ran answers `container "x" in pod "y" is waiting to start: <reason>`.
 *
 * exec/attach: the protocol (SPDY or WebSocket channel.k8s.io) is the
 * streaming module's (plugins/node-agent/streaming); this module finds the
 * running container and runs the command through the runtime, returning its
 * exit code. A container that is not running answers `container not found
 * ("x")`, as the kubelet does.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex, Readable, Writable } from 'node:stream';
import type { ContainerStatus as ApiContainerStatus } from 'kubernetes-types/core/v1';
import { ApiError } from '../../kernel/api/errors';
import type { ConnectKind, NodeStreamProvider, PodLogOptions, PodStreamTarget } from '../../kernel/api/node-streams';
import type { Clock } from '../../kernel/client/clock';
import type { Logger } from '../../kernel/log';
import type { ContainerRuntime, ContainerStatus, ExecSession } from '../../kernel/runtime/types';
import { RuntimeLabels } from '../../kernel/runtime/types';
import type { ParseRemoteCommandQuery, RemoteCommandResult, RemoteCommandStreams, ServeRemoteCommand } from './streaming/types';
import { parseRemoteCommandQuery, serveRemoteCommand } from './streaming';
import { nameOf, sortContainers } from './runtime-state';

/** The streaming module's two entry points. */
export interface StreamingProtocols {
  readonly serveRemoteCommand: ServeRemoteCommand;
  readonly parseRemoteCommandQuery: ParseRemoteCommandQuery;
}

export interface NodeStreamServerOptions {
  readonly runtime: ContainerRuntime;
  readonly nodeName: string;
  readonly clock: Clock;
  readonly logger: Logger;
  /** The exec/attach protocols (default: plugins/node-agent/streaming). */
  readonly protocols?: StreamingProtocols;
}

export class NodeStreamServer implements NodeStreamProvider {
  constructor(private readonly o: NodeStreamServerOptions) {}

  async logs(target: PodStreamTarget, options: PodLogOptions, out: Writable, signal: AbortSignal): Promise<void> {
    const id = await this.logContainerId(target, options.previous);
    let since: Date | undefined;
    if (options.sinceSeconds !== undefined) since = new Date(this.o.clock.now() - options.sinceSeconds * 1000);
    else if (options.sinceTime) since = new Date(options.sinceTime);
    const stream = await this.o.runtime.logs(id, {
      follow: options.follow,
      tailLines: options.tailLines,
      since,
      timestamps: options.timestamps,
      limitBytes: options.limitBytes,
      signal,
    });
    await pipeUntil(stream, out, signal);
  }

  /** The runtime id whose log to read (the kubelet's validateContainerLogStatus). */
  private async logContainerId(target: PodStreamTarget, previous: boolean): Promise<string> {
    const { container, pod } = target;
    const status = this.statusOf(target);
    const instances = await this.instances(target.uid, container);
    const strip = (id: string | undefined) => id?.replace(/^[a-z0-9-]+:\/\//, '') || undefined;
    if (previous) {
      const id = strip(status?.lastState?.terminated?.containerID) ?? (status ? undefined : instances[1]?.id);
      if (!id) throw ApiError.badRequest(`previous terminated container "${container}" in pod "${pod}" not found`);
      return id;
    }
    if (!status) {
      // The API has not seen a status for it yet: read what the runtime has, if anything.
      if (instances[0]) return instances[0].id;
      throw ApiError.badRequest(`container "${container}" in pod "${pod}" is waiting to start: ContainerCreating`);
    }
    const { running, terminated, waiting } = status.state ?? {};
    const last = status.lastState?.terminated;
    if (running) return strip(status.containerID) ?? instances[0]?.id ?? missing();
    if (terminated) {
      const id = strip(terminated.containerID) ?? strip(last?.containerID);
      if (!id) throw ApiError.badRequest(`container "${container}" in pod "${pod}" is terminated`);
      return id;
    }
    if (last) {
      const id = strip(last.containerID);
      if (!id) throw ApiError.badRequest(`container "${container}" in pod "${pod}" is terminated`);
      return id;
    }
    if (waiting) {
      const reason = waiting.reason === 'ErrImagePull' ? "image can't be pulled" : waiting.reason === 'ImagePullBackOff' ? 'trying and failing to pull image' : (waiting.reason ?? '');
      throw ApiError.badRequest(`container "${container}" in pod "${pod}" is waiting to start: ${reason}`);
    }
    throw ApiError.badRequest(`container "${container}" in pod "${pod}" is waiting to start - no logs yet`);

    function missing(): never {
      throw ApiError.badRequest(`container "${container}" in pod "${pod}" is waiting to start - no logs yet`);
    }
  }

  private statusOf(target: PodStreamTarget): ApiContainerStatus | undefined {
    const s = target.object.status;
    return [...(s?.containerStatuses ?? []), ...(s?.initContainerStatuses ?? []), ...(s?.ephemeralContainerStatuses ?? [])].find((c) => c.name === target.container);
  }

  /** The container's instances in the runtime, newest first. */
  private async instances(podUid: string, name: string): Promise<ContainerStatus[]> {
    const list = await this.o.runtime.listContainers({ labels: { [RuntimeLabels.node]: this.o.nodeName, [RuntimeLabels.podUid]: podUid } });
    return sortContainers(list.filter((c) => nameOf(c) === name && c.labels[RuntimeLabels.type] !== 'podsandbox'));
  }

  connect(kind: ConnectKind, target: PodStreamTarget, query: URLSearchParams, request: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (kind === 'portforward') {
      rejectUpgrade(socket, ApiError.badRequest(`port forwarding is not supported by the node agent on ${this.o.nodeName}`));
      return;
    }
    const protocols = this.o.protocols ?? { serveRemoteCommand, parseRemoteCommandQuery };
    // A bad query throws a 400 ApiError here, which the API server answers the upgrade with.
    const options = protocols.parseRemoteCommandQuery(query, kind);
    protocols.serveRemoteCommand(request, socket, head, { ...options, container: target.container }, (streams) => this.run(kind, target, options.command, streams));
  }

  private async run(kind: 'exec' | 'attach', target: PodStreamTarget, command: readonly string[], streams: RemoteCommandStreams): Promise<RemoteCommandResult> {
    const running = (await this.instances(target.uid, target.container)).find((c) => c.state === 'running');
    if (!running) return { error: `container not found ("${target.container}")` };
    let session: ExecSession;
    const io = { stdin: streams.stdin as Readable | undefined, stdout: streams.stdout, stderr: streams.tty ? undefined : streams.stderr, tty: streams.tty, signal: streams.signal };
    try {
      session = kind === 'exec' ? await this.o.runtime.exec(running.id, { ...io, command }) : await this.o.runtime.attach(running.id, io);
    } catch (err) {
      return { error: (err as Error).message };
    }
    streams.onResize(({ width, height }) => {
      try {
        session.resize(width, height);
      } catch {
        // A resize racing the process's exit: nothing to resize any more.
      }
    });
    try {
      return { exitCode: await session.done };
    } catch (err) {
      return { error: (err as Error).message };
    }
  }
}

/** Copy `from` to `to` until it ends or `signal` aborts; respects back-pressure. */
async function pipeUntil(from: Readable, to: Writable, signal: AbortSignal): Promise<void> {
  const onAbort = () => from.destroy();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    for await (const chunk of from) {
      if (signal.aborted) break;
      if (!to.write(chunk)) await new Promise<void>((resolve) => to.once('drain', resolve));
    }
  } catch (err) {
    // Destroyed because the client went away: that is the end of the log, not an error.
    if (!signal.aborted) throw err;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

/** Answer an upgrade request with a Status, as the API server does. */
function rejectUpgrade(socket: Duplex, err: ApiError): void {
  const body = JSON.stringify(err.toStatus());
  if (!socket.writable) return;
  socket.end(`HTTP/1.1 ${err.code} ${err.reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

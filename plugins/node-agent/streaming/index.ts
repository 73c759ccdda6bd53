/**
 * The server side of Kubernetes' remotecommand protocols (`kubectl exec`,
 * `kubectl attach`): the node agent's NodeStreamProvider hands an upgraded
 * connection and a handler to `serveRemoteCommand`, which speaks WebSocket or
 * SPDY to the client — whichever it asked for — and gives the handler plain
 * Node streams. See types.ts for the contract.
 *
 *   connect(kind, target, query, request, socket, head) {
 *     const options = parseRemoteCommandQuery(query, kind);   // throws a 400 ApiError
 *     serveRemoteCommand(request, socket, head, options, (streams) => runtime.exec(...));
 *   }
 *
 * parseRemoteCommandQuery throws synchronously: called inside connect(), its
 * ApiError becomes the API server's answer to the upgrade.
 */
import type { ServeRemoteCommand } from './types';
import { refuseUpgrade, UpgradeRefusal } from './protocols';
import { serveSpdy } from './spdy';
import { serveWebSocket } from './websocket';

export { parseRemoteCommandQuery } from './query';
export type { ParseRemoteCommandQuery, RemoteCommandRequest, RemoteCommandResult, RemoteCommandStreams, ServeRemoteCommand } from './types';

/** Which upgrade the request asks for, from its Upgrade header. */
export function upgradeKind(upgrade: string | undefined): 'websocket' | 'spdy' | undefined {
  const tokens = (upgrade ?? '').split(',').map((t) => t.trim().toLowerCase());
  if (tokens.includes('websocket')) return 'websocket';
  if (tokens.includes('spdy/3.1')) return 'spdy';
  return undefined;
}

export const serveRemoteCommand: ServeRemoteCommand = (request, socket, head, options, handler) => {
  const kind = upgradeKind(request.headers.upgrade);
  if (kind === 'websocket') serveWebSocket(request, socket, head, options, handler);
  else if (kind === 'spdy') serveSpdy(request, socket, head, options, handler);
  else {
    // The kubelet's SPDY upgrader words it this way (it prints the whole header map; the Upgrade header is what matters).
    refuseUpgrade(socket, new UpgradeRefusal(400, `unable to upgrade: missing upgrade headers in request: Upgrade: ${JSON.stringify(request.headers.upgrade ?? '')} (want websocket or SPDY/3.1)`));
  }
};

/**
 * The plugin's options (cluster.yaml `plugins[i].options`), their schema and
 * their defaults. The kernel validates the schema before any plugin applies;
 * defaults are filled in here, once.
 */

export interface DockerRuntimeOptions {
  /** The engine's Unix socket (default /var/run/docker.sock, or DOCKER_HOST when it names a unix:// socket). */
  readonly socketPath?: string;
  /** The image every pod sandbox runs (built locally by scripts/images; never pulled). */
  readonly pauseImage?: string;
  /** The Docker network pods join (ignored for hostNetwork pods). */
  readonly network?: string;
  /** Grace for a sandbox's pause container, and for containers still running when their sandbox is stopped. */
  readonly stopTimeoutSeconds?: number;
  /**
   * An air-gapped node: never contact a registry. Pulls fail at once as
   * "registry unreachable", so the node agent uses images already present
   * (with a Warning event) and reports absent ones as ErrImagePull.
   */
  readonly offline?: boolean;
}

export type ResolvedDockerRuntimeOptions = Required<DockerRuntimeOptions>;

export const DEFAULT_SOCKET_PATH = '/var/run/docker.sock';
export const DEFAULT_PAUSE_IMAGE = 'skiff/pause:3.9';
export const DEFAULT_NETWORK = 'bridge';
/** Docker's own default for `docker stop`, and dockershim's sandbox grace. */
export const DEFAULT_STOP_TIMEOUT_SECONDS = 10;

export const optionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    socketPath: { type: 'string', minLength: 1 },
    pauseImage: { type: 'string', minLength: 1 },
    network: { type: 'string', minLength: 1 },
    stopTimeoutSeconds: { type: 'integer', minimum: 0, maximum: 3600 },
    offline: { type: 'boolean' },
  },
} as const;

export function resolveOptions(options: DockerRuntimeOptions, env: NodeJS.ProcessEnv = process.env): ResolvedDockerRuntimeOptions {
  return {
    socketPath: options.socketPath ?? socketFromDockerHost(env.DOCKER_HOST) ?? DEFAULT_SOCKET_PATH,
    pauseImage: options.pauseImage ?? DEFAULT_PAUSE_IMAGE,
    network: options.network ?? DEFAULT_NETWORK,
    stopTimeoutSeconds: options.stopTimeoutSeconds ?? DEFAULT_STOP_TIMEOUT_SECONDS,
    offline: options.offline ?? false,
  };
}

/** `unix:///run/user/1000/docker.sock` → its path; TCP hosts are not supported (bind mounts and netns paths need the engine on this machine). */
function socketFromDockerHost(host: string | undefined): string | undefined {
  return host?.startsWith('unix://') ? host.slice('unix://'.length) : undefined;
}

/**
 * Facts about the machine a node runs on, as the kubelet reports them in
 * Node status: CPU and memory capacity, the filesystem under the agent's data
 * directory (ephemeral-storage), addresses, and nodeInfo (kernel, OS image,
 * machine/system/boot ids). Read through one interface so tests (and nodes
 * that are not this machine, like simulated ones) can supply their own.
 */
import { readFileSync, statfsSync } from 'node:fs';
import * as os from 'node:os';

export interface HostFacts {
  readonly hostname: string;
  /** The host's first external IPv4 address ('' when it has none). */
  readonly internalIP: string;
  readonly cpus: number;
  readonly memoryBytes: number;
  /** Size of the filesystem holding `dir` (ephemeral-storage capacity). */
  readonly ephemeralStorageBytes: number;
  readonly kernelVersion: string;
  readonly osImage: string;
  /** `linux`, as GOOS spells it. */
  readonly operatingSystem: string;
  /** `amd64`, `arm64`, as GOARCH spells it. */
  readonly architecture: string;
  readonly machineID: string;
  readonly systemUUID: string;
  readonly bootID: string;
}

/** Interfaces whose addresses are bridges or pod links the agent or runtimes made, never the node's own. */
const VIRTUAL_INTERFACE = /^(docker\d*|br-|veth|cni|flannel|skiff|cali|vxlan|virbr|kube-)/;

/** The first external IPv4 address of this host ('' when none). */
export function firstExternalIPv4(): string {
  for (const [name, addresses] of Object.entries(os.networkInterfaces())) {
    if (VIRTUAL_INTERFACE.test(name)) continue;
    for (const a of addresses ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '';
}

function readTrimmed(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return '';
  }
}

/** PRETTY_NAME from /etc/os-release (what the kubelet puts in osImage). */
function osImage(): string {
  const text = readTrimmed('/etc/os-release') || readTrimmed('/usr/lib/os-release');
  const m = /^PRETTY_NAME=(.*)$/m.exec(text);
  if (!m) return os.type();
  return m[1].replace(/^"(.*)"$/, '$1');
}

/** Node's arch names, as Go spells them. */
export function goArch(arch: string = process.arch): string {
  return ({ x64: 'amd64', ia32: '386', arm: 'arm', arm64: 'arm64', ppc64: 'ppc64le', s390x: 's390x' } as Record<string, string>)[arch] ?? arch;
}

function storageBytes(dir: string): number {
  try {
    const s = statfsSync(dir);
    return Number(s.blocks) * Number(s.bsize);
  } catch {
    return 0;
  }
}

/**
 * How long one reading serves: the nodes of one `skiff up` (simulated ones,
 * say 1,000 of them) share the machine, and each reports status every 10 s;
 * without this the process read /etc, /proc, /sys and the interfaces 100
 * times a second. A change (a new IP) still shows within a few seconds.
 */
export const HOST_FACTS_TTL_MS = 5000;

const cached = new Map<string, { readonly facts: HostFacts; readonly at: number }>();
let machine: { readonly facts: Omit<HostFacts, 'ephemeralStorageBytes'>; readonly at: number } | undefined;

/**
 * The facts of this machine, with ephemeral storage measured at `dataDir`,
 * read at most once per HOST_FACTS_TTL_MS (the same object is returned
 * meanwhile, so callers can tell nothing changed).
 */
export function readHostFacts(dataDir: string, now = Date.now()): HostFacts {
  const hit = cached.get(dataDir);
  if (hit && now - hit.at < HOST_FACTS_TTL_MS) return hit.facts;
  if (!machine || now - machine.at >= HOST_FACTS_TTL_MS) {
    machine = { facts: readMachineFacts(), at: now };
    // Forget the directories of agents that stopped asking.
    for (const [dir, entry] of cached) if (now - entry.at >= HOST_FACTS_TTL_MS) cached.delete(dir);
  }
  const facts: HostFacts = { ...machine.facts, ephemeralStorageBytes: storageBytes(dataDir) };
  cached.set(dataDir, { facts, at: now });
  return facts;
}

function readMachineFacts(): Omit<HostFacts, 'ephemeralStorageBytes'> {
  const machineID = readTrimmed('/etc/machine-id') || readTrimmed('/var/lib/dbus/machine-id');
  return {
    hostname: os.hostname().toLowerCase(),
    internalIP: firstExternalIPv4(),
    cpus: os.cpus().length || 1,
    memoryBytes: os.totalmem(),
    kernelVersion: os.release(),
    osImage: osImage(),
    operatingSystem: process.platform === 'win32' ? 'windows' : process.platform,
    architecture: goArch(),
    machineID,
    // product_uuid is root-only; the kubelet falls back the same way on machines without DMI.
    systemUUID: readTrimmed('/sys/class/dmi/id/product_uuid').toLowerCase() || machineID,
    bootID: readTrimmed('/proc/sys/kernel/random/boot_id'),
  };
}

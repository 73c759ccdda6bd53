/**
 * What the storage hooks exchange: dynamic provisioning of PersistentVolumes
 * and the attach / mount / unmount steps the node agent drives per pod volume.
 */
import type { PersistentVolume, PersistentVolumeClaim, Volume } from 'kubernetes-types/core/v1';

export interface ProvisionRequest {
  readonly claim: PersistentVolumeClaim;
  readonly storageClassName: string;
  readonly parameters: Readonly<Record<string, string>>;
}

/** A provisioner's answer: the PersistentVolume to create for the claim. */
export interface ProvisionedVolume {
  readonly volume: PersistentVolume;
  readonly plugin: string;
}

export interface AttachRequest {
  readonly volume: PersistentVolume;
  readonly nodeName: string;
}

export interface AttachResult {
  /** Where the volume appeared on the node (a device path or a directory). */
  readonly devicePath: string;
  readonly plugin: string;
}

export interface MountRequest {
  readonly podUid: string;
  readonly volume: Volume;
  /** The bound PersistentVolume, for persistentVolumeClaim volumes. */
  readonly persistentVolume?: PersistentVolume;
  /** The directory on the node the runtime will bind-mount into containers. */
  readonly targetPath: string;
  readonly readOnly: boolean;
}

export interface MountResult {
  readonly hostPath: string;
  readonly plugin: string;
}

export interface UnmountRequest {
  readonly podUid: string;
  readonly volumeName: string;
  readonly targetPath: string;
}

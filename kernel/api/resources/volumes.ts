/**
 * What PersistentVolumes and PersistentVolumeClaims share: access modes,
 * volume modes, storage class names, and the printed access-mode shorthand.
 */
import { FieldError } from '../errors';
import type { FieldPath } from '../validation';

export const ACCESS_MODES = ['ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOncePod'];
export const VOLUME_MODES = ['Block', 'Filesystem'];
export const STORAGE_CLASS_ANNOTATION = 'volume.beta.kubernetes.io/storage-class';

/** Access modes: known ones, and ReadWriteOncePod alone. */
export function validateAccessModes(modes: unknown[], path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  let rwop = false;
  let other = false;
  for (const m of modes) {
    if (typeof m !== 'string' || !ACCESS_MODES.includes(m)) errs.push(FieldError.notSupported(path.toString(), m, ACCESS_MODES));
    if (m === 'ReadWriteOncePod') rwop = true;
    else if (typeof m === 'string' && ACCESS_MODES.includes(m)) other = true;
  }
  if (rwop && other) errs.push(FieldError.forbidden(path.toString(), 'may not use ReadWriteOncePod with other access modes'));
  return errs;
}

/** `RWO,ROX,RWX,RWOP` in Kubernetes' fixed order. */
export function accessModesString(modes: readonly string[] | undefined): string {
  const set = new Set(modes ?? []);
  const out: string[] = [];
  if (set.has('ReadWriteOnce')) out.push('RWO');
  if (set.has('ReadOnlyMany')) out.push('ROX');
  if (set.has('ReadWriteMany')) out.push('RWX');
  if (set.has('ReadWriteOncePod')) out.push('RWOP');
  return out.join(',');
}

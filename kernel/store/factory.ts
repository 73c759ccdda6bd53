import type { Logger } from '../log';
import type { Store } from './types';

/** What a store implementation needs to open. */
export interface StoreFactoryContext {
  /** The cluster's data directory (absolute). */
  readonly dataDir: string;
  /** The `store` section of cluster.yaml (type plus implementation-specific settings). */
  readonly settings: Readonly<Record<string, unknown>>;
  readonly logger: Logger;
}

/** Opens a Store; registered per `store.type` (the kernel provides `embedded`, plugins add others). */
export type StoreFactory = (context: StoreFactoryContext) => Promise<Store>;

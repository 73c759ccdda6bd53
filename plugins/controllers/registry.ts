/**
 * The controllers the manager knows, by name, loaded lazily (a cluster pays
 * only for those it enables). Each lives in `plugins/controllers/<name>/`.
 */
import type { ControllerModule } from './types';

type Loader = () => ControllerModule<never>;

// require(), not import(): the compiled output is CommonJS (see plugins/index.ts).
export const CONTROLLERS: Readonly<Record<string, Loader>> = {
  serviceaccount: () => require('./serviceaccount').default,
  nodelifecycle: () => require('./nodelifecycle').default,
  replicaset: () => require('./replicaset').default,
  replicationcontroller: () => require('./replicationcontroller').default,
  garbagecollector: () => require('./garbagecollector').default,
  namespace: () => require('./namespace').default,
  endpoints: () => require('./endpoints').default,
  endpointslice: () => require('./endpointslice').default,
  deployment: () => require('./deployment').default,
};

import { createOrderActivities, type OrderActivityDeps } from './orders/activities';
import { createSystemActivities, type SystemDeps } from './system/activities';

/** Everything activities need, built once per worker process and injected (samples-typescript style). */
export interface ActivityDeps extends SystemDeps {
  /** The order lifecycle's activities; absent in a worker that only runs system checks. */
  orders?: OrderActivityDeps;
}

export function createActivities(deps: ActivityDeps) {
  return {
    ...createSystemActivities(deps),
    ...(deps.orders ? createOrderActivities(deps.orders) : {}),
  };
}

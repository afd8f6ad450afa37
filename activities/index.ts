import { createSystemActivities, type SystemDeps } from './system/activities';

/** Everything activities need, built once per worker process and injected (samples-typescript style). */
export type ActivityDeps = SystemDeps;

export function createActivities(deps: ActivityDeps) {
  return {
    ...createSystemActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;

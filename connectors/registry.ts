// Every system the app knows, in one list: the only place outside the connector folders' own
// files where systems are named. A new ERP or carrier is a folder with a system.ts and one line
// here (docs/adding-a-connector.md).

import type { ConfigSystems } from '../lib/config';
import { DEMO_CONFIG } from './demo-config';
import type { SystemModule } from './kit/system';
import { exactSystem } from './exact/system';
import { fedexSystem } from './fedex/system';
import { ifsSystem } from './ifs/system';
import { plexSystem } from './plex/system';
import { sagex3System } from './sagex3/system';
import { shipStationSystem } from './shipstation/system';

export const SYSTEMS: readonly SystemModule[] = [
  plexSystem,
  exactSystem,
  ifsSystem,
  sagex3System,
  fedexSystem,
  shipStationSystem,
];

const byId = new Map(SYSTEMS.map((s) => [s.id, s]));

/** The system of a connection (`system:` in its configuration). */
export function systemOf(id: string): SystemModule {
  const s = byId.get(id);
  if (!s) throw new Error(`unknown system ${id} (known: ${SYSTEMS.map((x) => x.id).join(', ')})`);
  return s;
}

/** What the configuration loader checks a file against, and the demo it runs without one. */
export const CONFIG_SYSTEMS: ConfigSystems = { systems: SYSTEMS, demo: DEMO_CONFIG };

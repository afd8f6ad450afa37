export { startPlexSimulator } from './simulator';
export type {
  OrderPatch,
  PermissionFault,
  PlexCounters,
  PlexFaultPatch,
  PlexFaultState,
  PlexLimits,
  PlexSimulator,
  PlexTenantInfo,
} from './simulator';
export { DEMO_KEY, DEMO_TENANT, DEFAULT_PRODUCTS, DEFAULT_SHIPPER_STATUSES } from './options';
export type { PlexCollection, PlexSimKey, PlexSimOptions, PlexSimTenant } from './options';
export { CATALOG_PART_NUMBERS, READY, SHIP_VIA } from './seed';
export type { SeedOptions } from './seed';
export type { DefectKind, SeededOrder } from './store';
export { RESOURCES } from './api';
export type { PlexResource } from './api';
export { parsePlexDate } from './query';
export { CONTAINERS_PER_PART, SHIPMENT_STATUS } from './inventory';
export type {
  InventoryContainer,
  InventoryCounters,
  InventoryShipment,
  InventoryShipmentContainer,
} from './inventory';
export type * from './wire';

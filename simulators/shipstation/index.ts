export { startShipStationSimulator } from './simulator';
export type {
  OrderSummary,
  ShipmentSummary,
  ShipStationCounters,
  ShipStationLimits,
  ShipStationSimulator,
  WarehouseSettings,
} from './simulator';
export { DEMO_V1_KEY, DEMO_V2_KEY } from './options';
export type { ShipStationSimOptions, V1KeyPair } from './options';
export type { Jwks } from './signing';
export type { WebhookDelivery, WebhookKnobs } from './webhooks';
export { PACIFIC, parseV1Date, toV1DateTime } from './time';
export type { FaultSettings } from '../shared/faults';

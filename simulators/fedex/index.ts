export { startFedexSimulator } from './simulator';
export type { FedexCounters, FedexLimits, FedexSimulator, ShipmentSummary } from './simulator';
export { DEMO_CLIENT } from './options';
export type { FedexSimClient, FedexSimOptions, FedexSimWebhook } from './options';
export { signAivBody } from './webhook';
export type { FaultSettings } from '../shared/faults';

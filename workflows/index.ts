// Every workflow the worker registers. Deterministic code only (see DESIGN.md, layers).
export { systemCheck } from './system-check';
export { orderShipment } from './order-shipment';
export { erpPoll, trackingSweep, shipmentPoll, inventorySync } from './schedules';

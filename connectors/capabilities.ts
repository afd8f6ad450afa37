// Whether each mapping's ERP can serve what its carrier connection asks of it, checked once at
// start: a configuration that pairs an ERP with a carrier mode it cannot serve stops the start with
// one line, instead of parking every order it detects.
import type { FulfilmentMode } from '../domain/fulfilment';
import type { ErpCapabilities } from './ports';

export interface MappingToCheck {
  erp: string;
  carrier: string;
  /** How the carrier connection ships: label (the connector buys labels) or warehouse. */
  mode: FulfilmentMode;
}

/** The first mapping an ERP cannot serve, as one line naming what is missing; undefined if none. */
export function mappingProblem(
  mappings: readonly MappingToCheck[],
  capabilities: (erpConnection: string) => ErpCapabilities,
): string | undefined {
  for (const m of mappings) {
    const can = capabilities(m.erp);
    if (m.mode === 'warehouse' && !can.warehouse) {
      return (
        `mapping ${m.erp} -> ${m.carrier}: the ERP connector of ${m.erp} cannot hand orders to a ` +
        `warehouse system (it cannot write several shipments back to one order); map ${m.erp} to a ` +
        'label carrier (FedEx) instead'
      );
    }
  }
  return undefined;
}

import type {
  Address,
  ShipmentRequest,
  ShipmentResult,
  TrackingError,
  TrackingUpdate,
} from '../domain/model';
import type { CustomsDetail } from '../domain/customs';
import type { ErpOrder, ReadyOrderRef, StatusWriteBack, TrackingWriteBack } from '../domain/order';
import type { FulfilmentShipment, SubmitOrderResult, WarehouseOrderPhase } from '../domain/fulfilment';

/**
 * What the order lifecycle needs from any ERP. Each ERP connector (activities/<erp>/) provides one
 * per connection; failures are thrown as Temporal ApplicationFailures (non-retryable for
 * permission, validation and business rejections, retryable otherwise).
 */
/** How the caller of a detection takes part in it (see ErpPort.detectReadyOrders). */
export interface DetectOptions {
  /** Names the candidates the caller needs no version of: the connector skips reading their details. */
  known?: (orderKeys: string[]) => Promise<ReadonlySet<string>>;
  /**
   * Called once per order as soon as it is confirmed ready, before the rest are read: what the
   * caller does with it (start its workflow) survives a detection that fails later on.
   */
  onReady?: (ref: ReadyOrderRef) => Promise<void>;
}

/**
 * What an ERP connector can do beyond detect, load and write back, declared so that a mapping it
 * cannot serve fails at start (connectors/capabilities.ts) instead of at the first order.
 */
export interface ErpCapabilities {
  /**
   * Orders can go to a warehouse system (ShipStation): every warehouse shipment's tracking is
   * written back to the order, and re-pushing an edited order is safe.
   */
  warehouse: boolean;
  /** On-hand stock can be read (`onHand`), for the warehouse inventory sync. */
  stock: boolean;
  /** A warehouse shipment's quantities can be taken out of ERP stock (`recordShipped`). */
  stockWriteBack: boolean;
  /** Ship-to addresses edited in place can be noticed (`shipToChanges`). */
  shipToChanges: boolean;
}

/** What a write-back did: `written` is false when the ERP already held exactly this (a repeat). */
export interface WriteBackOutcome {
  written: boolean;
}

export interface ErpPort {
  readonly capabilities: ErpCapabilities;
  /** Orders ready to ship whose state changed in the window. */
  detectReadyOrders(window: { since: Date; until: Date }, opts?: DetectOptions): Promise<ReadyOrderRef[]>;
  /**
   * The order as the ERP holds it. `fresh`: read every record now, none kept from an earlier read
   * (the caller knows something changed that the ERP's change dates may not show, such as an
   * address edited in place).
   */
  loadOrder(orderKey: string, opts?: { fresh?: boolean }): Promise<ErpOrder>;
  writeTracking(order: ErpOrderHandle, tracking: TrackingWriteBack): Promise<WriteBackOutcome>;
  writeStatus(order: ErpOrderHandle, status: StatusWriteBack): Promise<WriteBackOutcome>;
  /**
   * Take a warehouse shipment's quantities out of ERP stock, exactly once per shipmentId (the ERP
   * keeps the id). Absent when the ERP connector cannot; the order then ships without it.
   */
  recordShipped?(order: ErpOrderHandle, shipment: FulfilmentShipment): Promise<{ applied: boolean }>;
  /** On-hand stock per SKU (part number); SKUs the ERP does not know are left out. */
  onHand?(skus: string[]): Promise<Record<string, number>>;
  /**
   * For an ERP that edits addresses in place without touching the orders that ship to them: which
   * of these ship-to records (ErpOrder.shipToRef) changed in the window, with their content now.
   * Read in batches (per customer, say), never per order.
   */
  shipToChanges?(q: { since: Date; until: Date; refs: string[] }): Promise<Map<string, Address>>;
}

/** What the ERP needs back to write to an order: its key and the connector's own write-back keys. */
export type ErpOrderHandle = Pick<ErpOrder, 'orderKey' | 'orderNumber' | 'writeBackKeys'>;

/** What the order lifecycle needs from any carrier (activities/<carrier>/), per connection. */
export interface CarrierPort {
  /** Idempotent per request.idempotencyKey: a retry never buys a second label. */
  createShipment(input: {
    workflowId: string;
    erpConnection: string;
    orderKey: string;
    request: ShipmentRequest;
  }): Promise<ShipmentResult>;
  /** Updates that changed something, and numbers the carrier could not answer for. */
  track(trackingNumbers: string[]): Promise<{ updates: TrackingUpdate[]; errors: TrackingError[] }>;
  /** Void the shipment recorded under the key; `cancelled` false when the carrier refused (picked up). */
  cancelShipment(idempotencyKey: string): Promise<{ cancelled: boolean; message: string }>;
}

/**
 * A warehouse system that ships orders itself (ShipStation): the connector pushes the order, and
 * the shipments come back through webhooks and a poll (activities/orders/fulfilment.ts).
 */
export interface FulfilmentPort {
  /** The product's name, for reasons operators read ("ShipStation"). */
  readonly systemName: string;
  /**
   * Create the order at the warehouse or bring it up to date. A content version already pushed is
   * not sent again; an order the warehouse has shipped or cancelled is never changed (its phase is
   * answered instead). Invalid orders fail with a non-retryable OrderValidationError.
   */
  submitOrder(input: {
    workflowId: string;
    order: ErpOrder;
    /**
     * The step runs again after its retries ran out (the order waited or was parked): an earlier
     * push may have landed unanswered, and the warehouse may have shipped it since. Look it up before
     * sending, so a shipped order is read rather than refused with a 4xx.
     */
    lookFirst?: boolean;
    /**
     * The order leaves the warehouse's country: the commodities and their values for the customs
     * declaration (domain/customs.ts). Absent for a domestic order, which is sent as before.
     */
    customs?: CustomsDetail;
  }): Promise<SubmitOrderResult>;
  /** Cancel the order at the warehouse if it is still open; answers the phase it ends in. */
  cancelOrder(input: { workflowId: string; order: ErpOrder }): Promise<SubmitOrderResult>;
  /** Shipments created in [since, until], with the ERP order each belongs to where it is ours. */
  listShipments(window: { since: Date; until: Date }): Promise<IncomingShipment[]>;
  /**
   * Throws, without any request, when shipmentsAt/ordersAt would refuse the pointer (not the
   * warehouse's own host, or not a resource it may follow): a webhook receiver answers that at once.
   */
  checkResourceUrl(resourceUrl: string): void;
  /** Follow a webhook's pointer (only to the warehouse system itself) to the shipments it names. */
  shipmentsAt(resourceUrl: string): Promise<IncomingShipment[]>;
  /** Keys of orders cancelled at the warehouse (modified in [since, until]). */
  listCancelledOrders(window: { since: Date; until: Date }): Promise<string[]>;
  /** Follow a webhook's pointer to the orders it names, with the phase each is in at the warehouse. */
  ordersAt(resourceUrl: string): Promise<Array<{ externalOrderKey: string; phase: WarehouseOrderPhase }>>;
  /** Set warehouse on-hand stock from the ERP's figures; answers how many SKUs changed. */
  syncInventory(onHand: (skus: string[]) => Promise<Record<string, number>>): Promise<InventorySyncResult>;
}

/** A shipment seen at the warehouse, before we know whether it is one of ours. */
export interface IncomingShipment {
  shipment: FulfilmentShipment;
  /** The warehouse's order key (ours are derived from the ERP order). */
  externalOrderKey?: string;
  voided: boolean;
}

export interface InventorySyncResult {
  skus: number;
  changed: number;
  unknownInErp: string[];
}

import type { SeededRandom } from '../shared/random';

export interface Address {
  streetLines: string[];
  city: string;
  stateOrProvinceCode?: string;
  postalCode?: string;
  countryCode: string;
  residential?: boolean;
}

export interface Party {
  address: Address;
  contact: { personName?: string; companyName?: string; phoneNumber?: string };
}

export interface CustomerReference {
  customerReferenceType: string;
  value: string;
}

export interface Charges {
  base: number;
  surcharges: number;
  net: number;
  list: number;
}

export interface StoredPackage {
  trackingNumber: string;
  sequenceNumber: number;
  weight: { units: 'KG' | 'LB'; value: number };
  customerReferences: CustomerReference[];
  charges: Charges;
}

/** The status codes this simulator moves a shipment through (FedEx's own codes). */
export type StatusCode = 'OC' | 'PU' | 'IT' | 'OD' | 'DL' | 'DE' | 'CA';

export interface PlannedEvent {
  code: StatusCode;
  /** Simulated epoch ms. */
  at: number;
  where: 'origin' | 'hub' | 'destination';
}

export interface StoredShipment {
  masterTrackingNumber: string;
  accountNumber: string;
  clientId: string;
  serviceType: string;
  packagingType: string;
  shipper: Party;
  recipient: Party;
  shipDate: string;
  createdAt: number;
  estimatedDeliveryAt: number;
  packages: StoredPackage[];
  plan: PlannedEvent[];
  cancelledAt?: number;
}

const HOUR = 3_600_000;

/** Hours after label creation at which each status is reached. Ground takes about three times longer. */
function planFor(serviceType: string, createdAt: number, exception: boolean): PlannedEvent[] {
  const ground = /GROUND|SMART_POST/.test(serviceType);
  const f = ground ? 3 : 1;
  return [
    { code: 'OC', at: createdAt, where: 'origin' },
    { code: 'PU', at: createdAt + 2 * f * HOUR, where: 'origin' },
    { code: 'IT', at: createdAt + 8 * f * HOUR, where: 'hub' },
    { code: 'OD', at: createdAt + 20 * f * HOUR, where: 'destination' },
    { code: exception ? 'DE' : 'DL', at: createdAt + 24 * f * HOUR, where: 'destination' },
  ];
}

export class ShipmentStore {
  private readonly byMaster = new Map<string, StoredShipment>();
  private readonly byPiece = new Map<string, StoredShipment>();
  /** Cancellations ever made (`clear` keeps counting): when unchanged, no `cancelledAt` has changed. */
  private cancelCount = 0;

  constructor(private readonly random: SeededRandom) {}

  /** A fresh 12-digit tracking number that no shipment in this run has used. */
  newTrackingNumber(): string {
    for (;;) {
      const candidate = `7${this.random.digits(11)}`;
      if (!this.byPiece.has(candidate)) return candidate;
    }
  }

  add(
    input: Omit<StoredShipment, 'plan' | 'estimatedDeliveryAt' | 'masterTrackingNumber'>,
    exception: boolean,
  ): StoredShipment {
    const first = input.packages[0];
    if (!first) throw new Error('a shipment needs at least one package');
    const plan = planFor(input.serviceType, input.createdAt, exception);
    const shipment: StoredShipment = {
      ...input,
      masterTrackingNumber: first.trackingNumber,
      plan,
      estimatedDeliveryAt: plan[plan.length - 1]!.at,
    };
    this.byMaster.set(shipment.masterTrackingNumber, shipment);
    for (const pkg of shipment.packages) this.byPiece.set(pkg.trackingNumber, shipment);
    return shipment;
  }

  /** Find by master or piece tracking number. */
  find(trackingNumber: string): StoredShipment | undefined {
    return this.byPiece.get(trackingNumber);
  }

  all(): StoredShipment[] {
    return [...this.byMaster.values()];
  }

  /** The shipments in creation order, without copying the list (do not add or clear while iterating). */
  values(): IterableIterator<StoredShipment> {
    return this.byMaster.values();
  }

  cancel(shipment: StoredShipment, at: number): void {
    if (shipment.cancelledAt !== undefined) return;
    shipment.cancelledAt = at;
    this.cancelCount++;
  }

  get cancellations(): number {
    return this.cancelCount;
  }

  clear(): void {
    this.byMaster.clear();
    this.byPiece.clear();
  }
}

/** Status events that have happened by `now` (simulated). A cancelled shipment stops and shows CA. */
export function eventsAt(shipment: StoredShipment, now: number): PlannedEvent[] {
  const cancelledAt = shipment.cancelledAt;
  const happened = shipment.plan.filter(
    (e) => e.at <= now && (cancelledAt === undefined || e.at < cancelledAt),
  );
  if (cancelledAt !== undefined && cancelledAt <= now)
    happened.push({ code: 'CA', at: cancelledAt, where: 'origin' });
  return happened;
}

/**
 * The first simulated time after `now` at which `eventsAt(shipment, ·)` gains an event, or
 * Infinity when none is planned. Until then (and while `cancelledAt` stays as it is) the events
 * are those at `now`, or fewer for an earlier time.
 */
export function nextEventAfter(shipment: StoredShipment, now: number): number {
  const cancelledAt = shipment.cancelledAt;
  let next = Infinity;
  for (const e of shipment.plan) {
    if (e.at > now && e.at < next && (cancelledAt === undefined || e.at < cancelledAt)) next = e.at;
  }
  if (cancelledAt !== undefined && cancelledAt > now && cancelledAt < next) next = cancelledAt;
  return next;
}

/** FedEx lets a shipment be cancelled until it has been picked up. */
export function isCancellable(shipment: StoredShipment, now: number): boolean {
  return eventsAt(shipment, now).every((e) => e.code === 'OC' || e.code === 'CA');
}

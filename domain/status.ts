// The normalised tracking status every carrier maps to. Pure: workflows import it.

export const TRACKING_STATUSES = [
  'label_created',
  'picked_up',
  'in_transit',
  'out_for_delivery',
  'delivered',
  'exception',
  'returned',
  'cancelled',
] as const;

export type TrackingStatus = (typeof TRACKING_STATUSES)[number];

export function isTrackingStatus(value: unknown): value is TrackingStatus {
  return typeof value === 'string' && (TRACKING_STATUSES as readonly string[]).includes(value);
}

/** A shipment in one of these states will not move again; tracking stops. */
export function isFinalStatus(status: TrackingStatus): boolean {
  return status === 'delivered' || status === 'returned' || status === 'cancelled';
}

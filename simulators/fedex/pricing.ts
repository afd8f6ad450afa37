import type { Charges } from './shipments';

/** Services the simulator knows, with a display name and a made-up but stable price model. */
export const SERVICES: Record<
  string,
  { name: string; base: number; perLb: number; category: 'EXPRESS' | 'GROUND' }
> = {
  FIRST_OVERNIGHT: { name: 'FedEx First Overnight®', base: 95, perLb: 3.2, category: 'EXPRESS' },
  PRIORITY_OVERNIGHT: { name: 'FedEx Priority Overnight®', base: 65, perLb: 2.6, category: 'EXPRESS' },
  STANDARD_OVERNIGHT: { name: 'FedEx Standard Overnight®', base: 55, perLb: 2.2, category: 'EXPRESS' },
  FEDEX_2_DAY_AM: { name: 'FedEx 2Day® AM', base: 40, perLb: 1.8, category: 'EXPRESS' },
  FEDEX_2_DAY: { name: 'FedEx 2Day®', base: 32, perLb: 1.5, category: 'EXPRESS' },
  FEDEX_EXPRESS_SAVER: { name: 'FedEx Express Saver®', base: 26, perLb: 1.2, category: 'EXPRESS' },
  FEDEX_GROUND: { name: 'FedEx Ground®', base: 12, perLb: 0.65, category: 'GROUND' },
  GROUND_HOME_DELIVERY: { name: 'FedEx Home Delivery®', base: 14, perLb: 0.7, category: 'GROUND' },
  SMART_POST: { name: 'FedEx Ground® Economy', base: 9, perLb: 0.45, category: 'GROUND' },
  FEDEX_INTERNATIONAL_PRIORITY: {
    name: 'FedEx International Priority®',
    base: 120,
    perLb: 4.5,
    category: 'EXPRESS',
  },
  INTERNATIONAL_ECONOMY: { name: 'FedEx International Economy®', base: 95, perLb: 3.6, category: 'EXPRESS' },
};

export const SERVICE_TYPES = Object.keys(SERVICES);

/** Services a rate quote without a serviceType filter returns. */
export const DOMESTIC_QUOTE_SERVICES = [
  'FIRST_OVERNIGHT',
  'PRIORITY_OVERNIGHT',
  'STANDARD_OVERNIGHT',
  'FEDEX_2_DAY_AM',
  'FEDEX_2_DAY',
  'FEDEX_EXPRESS_SAVER',
  'FEDEX_GROUND',
];

const FUEL_SURCHARGE = 0.12;
const ACCOUNT_DISCOUNT = 0.8;

export function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

export function pounds(weight: { units: string; value: number }): number {
  return weight.units === 'KG' ? weight.value * 2.20462 : weight.value;
}

/** Per-package charges: the list price, and the account (discounted) net that FedEx actually bills. */
export function packageCharges(serviceType: string, weight: { units: string; value: number }): Charges {
  const svc = SERVICES[serviceType] ?? SERVICES.FEDEX_2_DAY!;
  const billed = Math.max(1, Math.ceil(pounds(weight)));
  const listBase = svc.base + svc.perLb * billed;
  const list = round2(listBase * (1 + FUEL_SURCHARGE));
  const base = round2(listBase * ACCOUNT_DISCOUNT);
  const surcharges = round2(base * FUEL_SURCHARGE);
  return { base, surcharges, net: round2(base + surcharges), list };
}

export function sumCharges(all: Charges[]): Charges {
  return all.reduce(
    (acc, c) => ({
      base: round2(acc.base + c.base),
      surcharges: round2(acc.surcharges + c.surcharges),
      net: round2(acc.net + c.net),
      list: round2(acc.list + c.list),
    }),
    { base: 0, surcharges: 0, net: 0, list: 0 },
  );
}

// ErpOrder -> ShipmentRequest, the same for every ERP: recipient, packages by a documented packing
// rule, service, references, then the canonical validation. Everything an operator must fix in the
// ERP (missing weights, bad postal codes, unknown countries) comes back as a list of precise problems
// before any carrier is called. Pure and deterministic: workflows call it.

import type {
  Address,
  LabelDelivery,
  LabelFormat,
  Package,
  Payment,
  ServiceLevel,
  ShipmentRequest,
  WeightUnit,
} from './model';
import { buildCustoms, crossesBorder, DEFAULT_CUSTOMS, type CustomsConfig } from './customs';
import type { ErpOrder } from './order';
import { validateShipmentRequest, type ValidationProblem } from './validate';

/**
 * How order lines become packages. Units are never split across packages; a package takes whole
 * units until the next one would pass `maxPackageWeight`. No package is declared under
 * MIN_PACKAGE_WEIGHT.
 * - `consolidated`: all lines share packages, filled in line order (fewest packages).
 * - `per_line`: each line starts its own package (one package per line while it fits).
 * A single unit heavier than the maximum travels alone in its own package.
 */
export interface PackingRule {
  mode: 'consolidated' | 'per_line';
  maxPackageWeight: { value: number; unit: WeightUnit };
}

export const DEFAULT_PACKING: PackingRule = {
  mode: 'consolidated',
  maxPackageWeight: { value: 30, unit: 'KG' },
};

export interface ShipmentMappingConfig {
  /** The warehouse the goods leave from. */
  shipFrom: Address;
  /** ERP ship-via code -> carrier service code ("GND" -> the carrier's ground service code). */
  serviceLevels: Record<string, string>;
  /** Carrier service code when the order's ship-via is missing or unmapped. */
  defaultService?: string;
  /** Neutral level when neither a mapped nor a default service code exists. */
  defaultServiceLevel?: ServiceLevel;
  payment?: Payment;
  packing?: PackingRule;
  packagingType?: string;
  label?: { format: LabelFormat; delivery: LabelDelivery };
  /** ERP division/building -> carrier-side reference. */
  divisions?: Record<string, string>;
  /** ERP cost centre -> reference printed on the label and invoice. */
  costCenters?: Record<string, string>;
  /** For shipments that cross a border (DEFAULT_CUSTOMS when absent). */
  customs?: CustomsConfig;
}

export interface ShipmentRequestContext {
  /** Derived from the workflow id. */
  idempotencyKey: string;
  /** YYYY-MM-DD of today (UTC) from the caller's clock: workflows pass their deterministic date. */
  today: string;
}

export interface MappedShipment {
  request: ShipmentRequest;
  /** Empty when the request may go to a carrier. */
  problems: ValidationProblem[];
}

const LB_PER_KG = 2.20462262185;

export function convertWeight(value: number, from: WeightUnit, to: WeightUnit): number {
  if (from === to) return value;
  return from === 'KG' ? value * LB_PER_KG : value / LB_PER_KG;
}

/** Round up to 0.01 so a declared weight is never below the real one. */
function roundUp(value: number): number {
  return Math.ceil(value * 100 - 1e-6) / 100;
}

/**
 * The least weight a package is declared at, in the rule's unit (KG or LB). A few light units left
 * over when a package fills up (one 0.05-kg gasket) would otherwise travel at a weight the carrier
 * refuses: the carrier simulator answers under 0.1 with INVALID.INPUT.EXCEPTION, and the order would
 * stop in needs_attention although nothing in the ERP is wrong. Declaring more than the goods weigh
 * costs nothing: a carrier bills a package at 1 lb or more, rounded up to the pound.
 */
export const MIN_PACKAGE_WEIGHT = 0.1;

export interface PackItem {
  /** Weight of one unit, already in the rule's unit. */
  unitWeight: number;
  quantity: number;
}

/**
 * Pack items by the rule; returns package weights in the rule's unit. Quantities may be fractional
 * (ERP quantities may be decimals): a trailing part unit packs like a unit of its own weight share.
 */
export function packWeights(items: PackItem[], rule: PackingRule): number[] {
  const max = rule.maxPackageWeight.value;
  const packages: number[] = [];
  let current = 0;
  const close = () => {
    if (current > 0) packages.push(Math.max(MIN_PACKAGE_WEIGHT, roundUp(current)));
    current = 0;
  };
  for (const item of items) {
    if (rule.mode === 'per_line') close();
    let remaining = item.quantity;
    const w = item.unitWeight;
    while (remaining > 1e-9) {
      const room = Math.floor((max - current) / w + 1e-9);
      const take = Math.min(remaining, room);
      if (take <= 0) {
        // Nothing more fits: close this package; a unit heavier than the maximum goes alone.
        if (current > 0) close();
        else {
          const one = Math.min(1, remaining);
          current = one * w;
          remaining -= one;
          close();
        }
        continue;
      }
      current += take * w;
      remaining -= take;
      if (remaining > 1e-9) close();
    }
  }
  close();
  return packages;
}

/** The later of two YYYY-MM-DD dates (string order is date order). */
function later(a: string, b: string | undefined): string {
  return b && b > a ? b : a;
}

function lineProblems(order: ErpOrder): ValidationProblem[] {
  const problems: ValidationProblem[] = [];
  if (order.lines.length === 0) {
    problems.push({
      field: 'lines',
      code: 'required',
      message: `order ${order.orderNumber} has no lines with a quantity to ship`,
    });
  }
  order.lines.forEach((line, i) => {
    if (!Number.isFinite(line.quantity) || line.quantity <= 0) {
      problems.push({
        field: `lines[${i}].quantity`,
        code: 'not_positive',
        message: `line ${line.lineKey} (${line.sku}) has no quantity to ship`,
      });
    }
    const w = line.unitWeight;
    if (!w || !Number.isFinite(w.value) || w.value <= 0) {
      problems.push({
        field: `lines[${i}].unitWeight`,
        code: 'missing_weight',
        message: `part ${line.sku} has no weight in the ERP: enter its piece weight, then retry`,
      });
    }
  });
  return problems;
}

function packagesFor(order: ErpOrder, rule: PackingRule): Package[] {
  const unit = rule.maxPackageWeight.unit;
  const items: PackItem[] = [];
  for (const line of order.lines) {
    const w = line.unitWeight;
    if (!w || !(w.value > 0) || !(line.quantity > 0)) continue;
    items.push({ unitWeight: convertWeight(w.value, w.unit, unit), quantity: line.quantity });
  }
  return packWeights(items, rule).map((value) => ({ weight: { value, unit } }));
}

/** Map a loaded ERP order to the carrier-neutral request and list everything wrong with it. */
export function buildShipmentRequest(
  order: ErpOrder,
  config: ShipmentMappingConfig,
  ctx: ShipmentRequestContext,
): MappedShipment {
  const packing = config.packing ?? DEFAULT_PACKING;
  const mapped = order.shipVia ? config.serviceLevels[order.shipVia] : undefined;
  const serviceCode = mapped ?? config.defaultService;
  const department =
    (order.costCenter && (config.costCenters?.[order.costCenter] ?? order.costCenter)) ||
    (order.division && config.divisions?.[order.division]) ||
    undefined;

  const recipient: Address = {
    ...order.shipTo,
    company: order.shipTo.company ?? order.customer.name,
  };
  const request: ShipmentRequest = {
    idempotencyKey: ctx.idempotencyKey,
    shipper: config.shipFrom,
    recipient,
    packages: packagesFor(order, packing),
    ...(serviceCode ? { carrierServiceCode: serviceCode } : {}),
    ...(!serviceCode && config.defaultServiceLevel ? { serviceLevel: config.defaultServiceLevel } : {}),
    ...(config.packagingType ? { packagingType: config.packagingType } : {}),
    shipDate: later(ctx.today, order.requestedShipDate),
    references: {
      orderNumber: order.orderNumber,
      ...(order.poNumber ? { poNumber: order.poNumber } : {}),
      ...(department ? { department } : {}),
    },
    payment: config.payment ?? { type: 'SENDER' },
    label: config.label ?? { format: 'PDF', delivery: 'LABEL' },
  };
  const customs = crossesBorder(request.shipper, request.recipient)
    ? buildCustoms(order, config.customs ?? DEFAULT_CUSTOMS, request.shipper, request.recipient)
    : { problems: [] };
  if (customs.customs) request.customs = customs.customs;

  const problems = [...lineProblems(order), ...validateShipmentRequest(request), ...customs.problems];
  if (order.shipVia && !serviceCode) {
    problems.push({
      field: 'shipVia',
      code: 'unmapped_ship_via',
      message: `ship-via "${order.shipVia}" has no carrier service in the mapping and there is no default service`,
    });
  }
  return { request, problems };
}

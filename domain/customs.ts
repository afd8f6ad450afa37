// Customs for shipments that cross a border: what every ERP fills from its own records and every
// carrier sends in its own words. buildCustoms turns an order's lines (with what the ERP knows of
// each part) and the mapping's customs settings into the canonical CustomsDetail, and lists every
// value that is missing as a problem that names the part and the ERP field to fill. A value the
// ERP lacks may come from a configured default, per part or per mapping. Pure and deterministic:
// workflows call it.

import type { Address, CountryCode, Money, WeightUnit } from './model';
import type { ErpOrder } from './order';
import type { ValidationProblem } from './validate';

/** Why the goods travel (the commercial invoice's purpose). */
export const SHIPMENT_PURPOSES = [
  'SOLD',
  'NOT_SOLD',
  'GIFT',
  'SAMPLE',
  'REPAIR_AND_RETURN',
  'PERSONAL_EFFECTS',
] as const;
export type ShipmentPurpose = (typeof SHIPMENT_PURPOSES)[number];

/** Incoterms the carriers take on a commercial invoice. */
export const TERMS_OF_SALE = [
  'DAP',
  'DDP',
  'EXW',
  'FCA',
  'CPT',
  'CIP',
  'CFR',
  'CIF',
  'FOB',
  'FAS',
  'DPU',
] as const;
export type TermsOfSale = (typeof TERMS_OF_SALE)[number];

/** Who pays duties and taxes at import. */
export interface DutiesPayment {
  payer: 'SENDER' | 'RECIPIENT' | 'THIRD_PARTY';
  /** The carrier account billed; required for THIRD_PARTY, optional for RECIPIENT. */
  account?: string;
}

/** One line of the commercial invoice: a commodity. */
export interface CustomsLine {
  /** The ERP's part number. */
  sku: string;
  /** Plain words for a customs officer ("Ball bearings, steel"), never a bare part number. */
  description: string;
  /** Harmonized System code, as the ERP keeps it ("8482.10.5044"). */
  hsCode: string;
  countryOfManufacture: CountryCode;
  quantity: number;
  /** Unit of `quantity`, as the carriers name it ("PCS", "EA", "KG"). */
  quantityUnit: string;
  unitPrice: Money;
  /** quantity x unitPrice, rounded to the cent. */
  customsValue: Money;
  /** Net weight of the whole line, where the ERP knows the unit weight. */
  netWeight?: { value: number; unit: WeightUnit };
}

/** USMCA (CUSMA, T-MEC) origin details for shipments within North America, where configured. */
export interface UsmcaDetail {
  /** The preference criterion A, B, C or D of the USMCA certification of origin. */
  originCriterion: 'A' | 'B' | 'C' | 'D';
}

/** What a carrier needs to clear goods through customs. */
export interface CustomsDetail {
  lines: CustomsLine[];
  totalCustomsValue: Money;
  commercialInvoice: {
    /** The invoice number where the ERP has one, else the order number. */
    number: string;
    purpose: ShipmentPurpose;
    termsOfSale: TermsOfSale;
  };
  dutiesPayment: DutiesPayment;
  /** The importer of record when it is not the recipient. */
  importerOfRecord?: Address & { accountNumber?: string; taxId?: string };
  /** Present when the mapping asks for USMCA details and both countries are in USMCA. */
  usmca?: UsmcaDetail;
}

/** A mapping's customs settings (config `mappings[].customs`). */
export interface CustomsConfig {
  purpose: ShipmentPurpose;
  termsOfSale: TermsOfSale;
  dutiesPayment: DutiesPayment;
  importerOfRecord?: Address & { accountNumber?: string; taxId?: string };
  /** Unit of the lines' quantities on the invoice (default "PCS"). */
  quantityUnit?: string;
  /** Values used where the ERP has none: per part number first, then for the whole mapping. */
  defaults?: {
    countryOfManufacture?: CountryCode;
    parts?: Record<string, { hsCode?: string; countryOfManufacture?: CountryCode; description?: string }>;
  };
  usmca?: UsmcaDetail;
}

export const DEFAULT_CUSTOMS: CustomsConfig = {
  purpose: 'SOLD',
  termsOfSale: 'DAP',
  dutiesPayment: { payer: 'RECIPIENT' },
};

/** The USMCA countries: United States, Mexico, Canada. */
const USMCA = new Set(['US', 'MX', 'CA']);

/**
 * Whether a shipment needs customs: shipper and recipient are in different countries (ISO codes).
 * A territory with a code of its own (Puerto Rico, PR) counts as another country here, so its
 * shipments carry customs detail that a carrier may not require; none that need it go without.
 */
export function crossesBorder(from: Address, to: Address): boolean {
  return from.countryCode.toUpperCase() !== to.countryCode.toUpperCase();
}

const HS_CODE = /^\d{4}(\.?\d{2}){0,3}$/;
const COUNTRY = /^[A-Z]{2}$/;

const cents = (n: number) => Math.round(n * 100) / 100;

/** What the ERP connector calls each customs value, so a problem says where to fill it. */
/** Each value's field in the ERP, or null where the ERP keeps none (a configured default must fill it). */
export interface CustomsFieldNames {
  hsCode: string | null;
  countryOfManufacture: string | null;
  unitPrice: string | null;
  description: string | null;
}

const VALUE_NAMES: Record<keyof CustomsFieldNames, string> = {
  hsCode: 'HS code',
  countryOfManufacture: 'country of manufacture',
  unitPrice: 'price',
  description: 'description',
};

const GENERIC_FIELD_NAMES: CustomsFieldNames = {
  hsCode: "the part's harmonized (HS) code",
  countryOfManufacture: "the part's country of origin",
  unitPrice: "the order line's price",
  description: "the part's description",
};

/**
 * The customs detail of an order shipped from `shipper` to `recipient`, or the list of what is
 * missing. Called only for shipments that cross a border.
 */
export function buildCustoms(
  order: ErpOrder,
  config: CustomsConfig,
  shipper: Address,
  recipient: Address,
): { customs?: CustomsDetail; problems: ValidationProblem[] } {
  const names = { ...GENERIC_FIELD_NAMES, ...order.customsFieldNames };
  const problems: ValidationProblem[] = [];
  const lines: CustomsLine[] = [];
  const unit = config.quantityUnit ?? 'PCS';
  order.lines.forEach((line, i) => {
    if (!(line.quantity > 0)) return;
    const field = (sub: string) => `customs.lines[${i}].${sub}`;
    const part = config.defaults?.parts?.[line.sku];
    const missing = (sub: keyof CustomsFieldNames, configKey: string) => {
      const what = VALUE_NAMES[sub];
      const erpField = names[sub];
      const defaults =
        sub === 'unitPrice'
          ? ''
          : `mappings[].customs.defaults.parts["${line.sku}"].${configKey}` +
            (sub === 'countryOfManufacture' ? ' or mappings[].customs.defaults.countryOfManufacture' : '');
      problems.push({
        field: field(sub),
        code: 'customs_value_missing',
        message:
          `part ${line.sku} has no ${what} for customs: ` +
          (erpField === null
            ? `the ERP keeps none, so set ${defaults}`
            : `fill ${erpField} in the ERP${defaults ? `, or set ${defaults}` : ''}`),
      });
    };

    const hsCode = (line.hsCode ?? part?.hsCode)?.trim();
    if (!hsCode) missing('hsCode', 'hsCode');
    else if (!HS_CODE.test(hsCode))
      problems.push({
        field: field('hsCode'),
        code: 'customs_value_invalid',
        message: `part ${line.sku} has HS code "${hsCode}", which is not 4 to 10 digits (fix ${names.hsCode ?? 'it'} in the ERP)`,
      });
    const country = (
      line.countryOfOrigin ??
      part?.countryOfManufacture ??
      config.defaults?.countryOfManufacture
    )
      ?.trim()
      .toUpperCase();
    if (!country) missing('countryOfManufacture', 'countryOfManufacture');
    else if (!COUNTRY.test(country))
      problems.push({
        field: field('countryOfManufacture'),
        code: 'customs_value_invalid',
        message: `part ${line.sku} has country of origin "${country}", which is not an ISO 3166-1 alpha-2 code (fix ${names.countryOfManufacture ?? 'the configured default'})`,
      });
    const description = (part?.description ?? line.description)?.trim();
    if (!description) missing('description', 'description');
    const price = line.unitPrice;
    if (!price || !(price.amount >= 0) || !/^[A-Z]{3}$/.test(price.currency))
      missing('unitPrice', 'unitPrice');
    if (!hsCode || !country || !description || !price) return;
    lines.push({
      sku: line.sku,
      description,
      hsCode,
      countryOfManufacture: country,
      quantity: line.quantity,
      quantityUnit: unit,
      unitPrice: price,
      customsValue: { amount: cents(line.quantity * price.amount), currency: price.currency },
      ...(line.unitWeight
        ? { netWeight: { value: cents(line.unitWeight.value * line.quantity), unit: line.unitWeight.unit } }
        : {}),
    });
  });

  const currencies = new Set(lines.map((l) => l.customsValue.currency));
  if (currencies.size > 1) {
    problems.push({
      field: 'customs.totalCustomsValue',
      code: 'customs_currency_mixed',
      message: `the order's lines are priced in ${[...currencies].join(' and ')}; a commercial invoice has one currency (price the order in one currency in the ERP)`,
    });
  }
  if (config.dutiesPayment.payer === 'THIRD_PARTY' && !config.dutiesPayment.account) {
    problems.push({
      field: 'customs.dutiesPayment.account',
      code: 'required',
      message:
        'duties billed to a third party need its carrier account (set mappings[].customs.dutiesPayment.account)',
    });
  }
  if (problems.length > 0 || lines.length === 0) return { problems };

  const usmca =
    config.usmca &&
    USMCA.has(shipper.countryCode.toUpperCase()) &&
    USMCA.has(recipient.countryCode.toUpperCase())
      ? config.usmca
      : undefined;
  return {
    customs: {
      lines,
      totalCustomsValue: {
        amount: cents(lines.reduce((sum, l) => sum + l.customsValue.amount, 0)),
        currency: lines[0]!.customsValue.currency,
      },
      commercialInvoice: {
        number: order.invoiceNumber ?? order.orderNumber,
        purpose: config.purpose,
        termsOfSale: config.termsOfSale,
      },
      dutiesPayment: config.dutiesPayment,
      ...(config.importerOfRecord ? { importerOfRecord: config.importerOfRecord } : {}),
      ...(usmca ? { usmca } : {}),
    },
    problems,
  };
}

// Customs: the canonical CustomsDetail -> FedEx's customsClearanceDetail, and the request for the
// commercial invoice FedEx prints with the label. FedEx requires customs clearance detail (with its
// commercial invoice and commodities, each described) for every shipment whose shipper and
// recipient countries differ. Pure: no I/O, no clock.

import type { CustomsDetail, CustomsLine } from '../../../domain/customs';
import type { Money, WeightUnit } from '../../../domain/model';
import { convertWeight } from '../../../domain/shipment-request';
import type {
  FedexCommodity,
  FedexCustomsClearanceDetail,
  FedexMoney,
  FedexShippingDocumentSpecification,
} from '../wire';
import { fedexParty, round } from './shared';

/** FedEx's limits: a commodity description up to 450 characters, an invoice number up to 30. */
const DESCRIPTION_MAX = 450;
const INVOICE_NUMBER_MAX = 30;

function money(m: Money): FedexMoney {
  return { amount: round(m.amount, 2), currency: m.currency };
}

/**
 * FedEx's examples give harmonized codes as digits only ("0613", "900211101000"); ERPs keep them
 * with dots ("8482.10.5044"). The dots carry nothing, so only the digits are sent.
 */
export function fedexHarmonizedCode(hsCode: string): string {
  return hsCode.replace(/\D/g, '');
}

/**
 * FedEx takes a whole quantity per commodity. A fractional ERP quantity (2.5 m of hose) goes up to
 * the next whole unit; the customs value stays the line's own, so the declared value is exact.
 */
export function fedexQuantity(quantity: number): number {
  return Math.max(1, Math.ceil(quantity - 1e-9));
}

function commodity(line: CustomsLine, weightUnit: WeightUnit, usmca: CustomsDetail['usmca']): FedexCommodity {
  const weight = line.netWeight
    ? Math.max(0.01, round(convertWeight(line.netWeight.value, line.netWeight.unit, weightUnit), 2))
    : undefined;
  return {
    description: line.description.trim().slice(0, DESCRIPTION_MAX),
    harmonizedCode: fedexHarmonizedCode(line.hsCode),
    countryOfManufacture: line.countryOfManufacture,
    quantity: fedexQuantity(line.quantity),
    quantityUnits: line.quantityUnit,
    unitPrice: money(line.unitPrice),
    customsValue: money(line.customsValue),
    // FedEx: "The package and commodity weight unit should be the same else the request will
    // result in an error", so a line's weight is given in the packages' unit.
    ...(weight !== undefined ? { weight: { units: weightUnit, value: weight } } : {}),
    partNumber: line.sku,
    ...(usmca ? { usmcaDetail: { originCriterion: usmca.originCriterion } } : {}),
  };
}

/**
 * The customs clearance detail of a shipment. `weightUnit` is the unit of the shipment's packages.
 * An importer of record needs its own phone number (fedexRequestProblems says so before the call).
 */
export function toFedexCustomsClearanceDetail(
  customs: CustomsDetail,
  opts: { weightUnit: WeightUnit },
): FedexCustomsClearanceDetail {
  const invoice = customs.commercialInvoice;
  const invoiceNumber = invoice.number.trim().slice(0, INVOICE_NUMBER_MAX);
  const duties = customs.dutiesPayment;
  const ior = customs.importerOfRecord;
  return {
    commercialInvoice: {
      shipmentPurpose: invoice.purpose,
      termsOfSale: invoice.termsOfSale,
      // The spec: "The INVOICE_NUMBER value that is printed on the FedEx-supplied invoice must be
      // specified in customerReferences under commercialInvoice."
      ...(invoiceNumber
        ? { customerReferences: [{ customerReferenceType: 'INVOICE_NUMBER' as const, value: invoiceNumber }] }
        : {}),
    },
    commodities: customs.lines.map((line) => commodity(line, opts.weightUnit, customs.usmca)),
    totalCustomsValue: money(customs.totalCustomsValue),
    dutiesPayment: {
      paymentType: duties.payer,
      ...(duties.account?.trim()
        ? { payor: { responsibleParty: { accountNumber: { value: duties.account.trim() } } } }
        : {}),
    },
    ...(ior
      ? {
          importerOfRecord: {
            ...fedexParty(ior),
            ...(ior.accountNumber?.trim() ? { accountNumber: { value: ior.accountNumber.trim() } } : {}),
            // A business's customs or tax number (EIN, business number, EORI): the national kind.
            ...(ior.taxId?.trim()
              ? { tins: [{ number: ior.taxId.trim(), tinType: 'BUSINESS_NATIONAL' as const }] }
              : {}),
          },
        }
      : {}),
  };
}

/** FedEx prints the commercial invoice with the label: one PDF on letter paper (its only format). */
export const COMMERCIAL_INVOICE_DOCUMENT: FedexShippingDocumentSpecification = {
  shippingDocumentTypes: ['COMMERCIAL_INVOICE'],
  commercialInvoiceDetail: { documentFormat: { docType: 'PDF', stockType: 'PAPER_LETTER' } },
};

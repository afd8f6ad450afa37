// ERPs hold countries as people typed them: "USA", "United States", "Deutschland", "NLD". Carriers
// want ISO 3166-1 alpha-2. Pure: workflows and every ERP mapping may use it.

import { isCountryCode } from './countries';

/** Names, alpha-3 codes and common variants, keyed by their folded form (see fold()). */
// prettier-ignore
const ALIASES: Readonly<Record<string, string>> = {
  USA: 'US', UNITEDSTATES: 'US', UNITEDSTATESOFAMERICA: 'US', AMERICA: 'US',
  CAN: 'CA', CANADA: 'CA',
  MEX: 'MX', MEXICO: 'MX', ESTADOSUNIDOSMEXICANOS: 'MX',
  GBR: 'GB', UK: 'GB', UNITEDKINGDOM: 'GB', GREATBRITAIN: 'GB', ENGLAND: 'GB', SCOTLAND: 'GB', WALES: 'GB',
  NORTHERNIRELAND: 'GB',
  DEU: 'DE', GERMANY: 'DE', DEUTSCHLAND: 'DE',
  NLD: 'NL', NETHERLANDS: 'NL', THENETHERLANDS: 'NL', HOLLAND: 'NL', NEDERLAND: 'NL',
  FRA: 'FR', FRANCE: 'FR',
  BEL: 'BE', BELGIUM: 'BE', BELGIE: 'BE', BELGIQUE: 'BE',
  LUX: 'LU', LUXEMBOURG: 'LU',
  ITA: 'IT', ITALY: 'IT', ITALIA: 'IT',
  ESP: 'ES', SPAIN: 'ES', ESPANA: 'ES',
  PRT: 'PT', PORTUGAL: 'PT',
  AUT: 'AT', AUSTRIA: 'AT', OSTERREICH: 'AT',
  CHE: 'CH', SWITZERLAND: 'CH', SCHWEIZ: 'CH', SUISSE: 'CH',
  DNK: 'DK', DENMARK: 'DK', DANMARK: 'DK',
  SWE: 'SE', SWEDEN: 'SE', SVERIGE: 'SE',
  NOR: 'NO', NORWAY: 'NO', NORGE: 'NO',
  FIN: 'FI', FINLAND: 'FI',
  POL: 'PL', POLAND: 'PL', POLSKA: 'PL',
  CZE: 'CZ', CZECHREPUBLIC: 'CZ', CZECHIA: 'CZ',
  IRL: 'IE', IRELAND: 'IE',
  AUS: 'AU', AUSTRALIA: 'AU',
  NZL: 'NZ', NEWZEALAND: 'NZ',
  JPN: 'JP', JAPAN: 'JP',
  CHN: 'CN', CHINA: 'CN', PRC: 'CN', PEOPLESREPUBLICOFCHINA: 'CN',
  KOR: 'KR', SOUTHKOREA: 'KR', KOREA: 'KR', REPUBLICOFKOREA: 'KR',
  IND: 'IN', INDIA: 'IN',
  BRA: 'BR', BRAZIL: 'BR', BRASIL: 'BR',
  PRI: 'PR', PUERTORICO: 'PR',
};

/** Upper case, accents and everything but letters removed: "U.S.A." -> "USA", "España" -> "ESPANA". */
function fold(value: string): string {
  return value
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toUpperCase()
    .replace(/[^A-Z]/g, '');
}

/**
 * The ISO 3166-1 alpha-2 code for a country as an ERP holds it, or the trimmed, upper-cased input
 * when it is not recognised (so validation can name the value it could not use).
 */
export function normalizeCountry(value: string | null | undefined): string {
  const raw = (value ?? '').trim();
  if (raw === '') return '';
  const upper = raw.toUpperCase();
  if (upper.length === 2 && isCountryCode(upper)) return upper;
  const folded = fold(raw);
  return ALIASES[folded] ?? (isCountryCode(folded) ? folded : upper);
}

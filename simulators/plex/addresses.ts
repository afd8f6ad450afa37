import type { SeededRandom } from '../shared/random';

/** One generated ship-to address, in the fields a Plex customer address has. */
export interface GeneratedAddress {
  address: string;
  city: string;
  state?: string;
  zip: string;
  country: string;
  phone: string;
}

interface Place {
  city: string;
  state?: string;
  zip: string;
}

interface CountryData {
  places: Place[];
  streets: string[];
  /** Street line from a street name and a house number, in the country's usual order. */
  line(street: string, number: number): string;
  /** Second address lines seen in the country ('' = none). */
  extras: string[];
  phone(random: SeededRandom): string;
  /** A postal code that cannot be valid for the country (wrong length or shape). */
  badZip(zip: string): string;
}

const pick = <T>(random: SeededRandom, items: readonly T[]): T => items[random.int(0, items.length - 1)]!;

// Real city / state / postal code combinations, so an address validation service would accept them.
export const COUNTRIES: Record<string, CountryData> = {
  US: {
    places: [
      { city: 'Memphis', state: 'TN', zip: '38117' },
      { city: 'Austin', state: 'TX', zip: '78701' },
      { city: 'Columbus', state: 'OH', zip: '43215' },
      { city: 'Grand Rapids', state: 'MI', zip: '49503' },
      { city: 'Denver', state: 'CO', zip: '80202' },
      { city: 'Charlotte', state: 'NC', zip: '28202' },
      { city: 'Milwaukee', state: 'WI', zip: '53202-4108' },
    ],
    streets: ['Oak Street', 'Industrial Parkway', 'Commerce Drive', 'Main Street', 'Lakeview Avenue'],
    line: (street, n) => `${n} ${street}`,
    extras: ['', '', 'Suite 200', 'Dock 4', 'Building B'],
    phone: (r) => `${r.int(201, 989)}555${r.digits(4)}`,
    badZip: (zip) => zip.slice(0, 4),
  },
  CA: {
    places: [
      { city: 'Toronto', state: 'ON', zip: 'M5V 2T6' },
      { city: 'Mississauga', state: 'ON', zip: 'L5B 3C2' },
      { city: 'Montréal', state: 'QC', zip: 'H3B 4W8' },
      { city: 'Calgary', state: 'AB', zip: 'T2P 1J9' },
      { city: 'Vancouver', state: 'BC', zip: 'V6B 1A1' },
    ],
    streets: ['Maple Avenue', 'King Street West', 'Rue Sainte-Catherine', 'Centre Street'],
    line: (street, n) => `${n} ${street}`,
    extras: ['', 'Unit 12', ''],
    phone: (r) => `${pick(r, ['416', '905', '514', '403', '604'])}555${r.digits(4)}`,
    badZip: () => '12345',
  },
  GB: {
    places: [
      { city: 'London', zip: 'SW1A 1AA' },
      { city: 'Manchester', zip: 'M1 1AE' },
      { city: 'Birmingham', zip: 'B1 1BB' },
      { city: 'Leeds', zip: 'LS1 4AP' },
      { city: 'Bristol', zip: 'BS1 5TR' },
    ],
    streets: ['High Street', 'Station Road', 'Victoria Road', 'Church Lane'],
    line: (street, n) => `${n} ${street}`,
    extras: ['', 'Unit 3, Riverside Industrial Estate', ''],
    phone: (r) => `44${pick(r, ['20', '161', '121', '113', '117'])}${r.digits(7)}`,
    badZip: () => 'ABC 123',
  },
  DE: {
    places: [
      { city: 'Berlin', zip: '10115' },
      { city: 'München', zip: '80331' },
      { city: 'Hamburg', zip: '20095' },
      { city: 'Stuttgart', zip: '70173' },
      { city: 'Köln', zip: '50667' },
    ],
    streets: ['Hauptstraße', 'Industriestraße', 'Bahnhofstraße', 'Gewerbering'],
    line: (street, n) => `${street} ${n}`,
    extras: ['', '', 'Tor 2'],
    phone: (r) => `49${pick(r, ['30', '89', '40', '711', '221'])}${r.digits(7)}`,
    badZip: (zip) => zip.slice(0, 4),
  },
  NL: {
    places: [
      { city: 'Amsterdam', zip: '1012 AB' },
      { city: 'Rotterdam', zip: '3011 AA' },
      { city: 'Eindhoven', zip: '5611 AZ' },
      { city: 'Utrecht', zip: '3511 CE' },
    ],
    streets: ['Keizersgracht', 'Industrieweg', 'Stationsplein', 'Coolsingel'],
    line: (street, n) => `${street} ${n}`,
    extras: ['', ''],
    phone: (r) => `31${pick(r, ['20', '10', '40', '30'])}${r.digits(7)}`,
    badZip: (zip) => zip.slice(0, 4),
  },
  FR: {
    places: [
      { city: 'Paris', zip: '75008' },
      { city: 'Lyon', zip: '69002' },
      { city: 'Toulouse', zip: '31000' },
      { city: 'Lille', zip: '59000' },
    ],
    streets: ['rue de Rivoli', 'avenue Jean Jaurès', 'boulevard Haussmann', 'rue de la République'],
    line: (street, n) => `${n} ${street}`,
    extras: ['', 'ZI Nord', ''],
    phone: (r) => `33${pick(r, ['1', '4', '5'])}${r.digits(8)}`,
    badZip: (zip) => zip.slice(0, 4),
  },
  MX: {
    places: [
      { city: 'Ciudad de México', state: 'CMX', zip: '06600' },
      { city: 'Guadalajara', state: 'JAL', zip: '44100' },
      { city: 'Monterrey', state: 'NLE', zip: '64000' },
      { city: 'Querétaro', state: 'QUE', zip: '76000' },
    ],
    streets: ['Av. Insurgentes Sur', 'Calle Hidalgo', 'Av. Constitución', 'Blvd. Bernardo Quintana'],
    line: (street, n) => `${street} ${n}`,
    extras: ['', 'Col. Juárez', 'Parque Industrial'],
    phone: (r) => `52${pick(r, ['55', '33', '81', '442'])}${r.digits(7)}`,
    badZip: (zip) => zip.slice(0, 3),
  },
};

export const COUNTRY_CODES = Object.keys(COUNTRIES);

/** A country code that is not in ISO 3166-1 (the "unknown country" defect). */
export const UNKNOWN_COUNTRY = 'XX';

export function generateAddress(random: SeededRandom, country: string): GeneratedAddress {
  const data = COUNTRIES[country];
  if (!data) throw new RangeError(`no address data for ${country}`);
  const place = pick(random, data.places);
  const extra = pick(random, data.extras);
  const street = data.line(pick(random, data.streets), random.int(1, 2400));
  return {
    address: extra ? `${street}\n${extra}` : street,
    city: place.city,
    ...(place.state ? { state: place.state } : {}),
    zip: place.zip,
    country,
    phone: data.phone(random),
  };
}

export function badZip(country: string, zip: string): string {
  const data = COUNTRIES[country];
  if (!data) throw new RangeError(`no address data for ${country}`);
  return data.badZip(zip);
}

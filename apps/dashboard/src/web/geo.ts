import type { GeoPermissibleObjects } from 'd3-geo';
import { feature } from 'topojson-client';
import statesUrl from 'us-atlas/states-10m.json?url';
import worldUrl from 'world-atlas/countries-110m.json?url';

type Geometry = GeoPermissibleObjects;
type Topology = Parameters<typeof feature>[0];
interface Features {
  features: { id?: string | number; properties: { name: string }; geometry: Geometry }[];
}

export interface Area {
  /** ISO 3166-1 alpha-2 (countries) or US-XX (states), as the sales roll-ups key them. */
  code: string;
  name: string;
  geometry: Geometry;
}

// world-atlas keys countries by ISO numeric and names them; the roll-ups use alpha-2. The English region
// names of Intl.DisplayNames match most Natural Earth names; these are the ones that differ.
const NAME_ALIASES: Record<string, string> = {
  'United States of America': 'US',
  'Dem. Rep. Congo': 'CD',
  Congo: 'CG',
  'Central African Rep.': 'CF',
  'Bosnia and Herz.': 'BA',
  'Dominican Rep.': 'DO',
  'S. Sudan': 'SS',
  'Eq. Guinea': 'GQ',
  'Solomon Is.': 'SB',
  'Falkland Is.': 'FK',
  'Fr. S. Antarctic Lands': 'TF',
  'W. Sahara': 'EH',
  "Côte d'Ivoire": 'CI',
  eSwatini: 'SZ',
  'N. Cyprus': 'CY',
  Macedonia: 'MK',
  'North Macedonia': 'MK',
  Czechia: 'CZ',
  Myanmar: 'MM',
  'Timor-Leste': 'TL',
  Palestine: 'PS',
  Somaliland: 'SO',
  Kosovo: 'XK',
  Taiwan: 'TW',
  'Hong Kong': 'HK',
  Russia: 'RU',
  Turkey: 'TR',
};

const STATE_CODES: Record<string, string> = {
  '01': 'AL',
  '02': 'AK',
  '04': 'AZ',
  '05': 'AR',
  '06': 'CA',
  '08': 'CO',
  '09': 'CT',
  '10': 'DE',
  '11': 'DC',
  '12': 'FL',
  '13': 'GA',
  '15': 'HI',
  '16': 'ID',
  '17': 'IL',
  '18': 'IN',
  '19': 'IA',
  '20': 'KS',
  '21': 'KY',
  '22': 'LA',
  '23': 'ME',
  '24': 'MD',
  '25': 'MA',
  '26': 'MI',
  '27': 'MN',
  '28': 'MS',
  '29': 'MO',
  '30': 'MT',
  '31': 'NE',
  '32': 'NV',
  '33': 'NH',
  '34': 'NJ',
  '35': 'NM',
  '36': 'NY',
  '37': 'NC',
  '38': 'ND',
  '39': 'OH',
  '40': 'OK',
  '41': 'OR',
  '42': 'PA',
  '44': 'RI',
  '45': 'SC',
  '46': 'SD',
  '47': 'TN',
  '48': 'TX',
  '49': 'UT',
  '50': 'VT',
  '51': 'VA',
  '53': 'WA',
  '54': 'WV',
  '55': 'WI',
  '56': 'WY',
  '60': 'AS',
  '66': 'GU',
  '69': 'MP',
  '72': 'PR',
  '78': 'VI',
};

function alpha2ByName(): Map<string, string> {
  const names = new Intl.DisplayNames(['en'], { type: 'region' });
  const byName = new Map<string, string>();
  for (let a = 65; a <= 90; a++)
    for (let b = 65; b <= 90; b++) {
      const code = String.fromCharCode(a, b);
      try {
        const name = names.of(code);
        if (name && name !== code) byName.set(name, code);
      } catch {
        // not a region code
      }
    }
  for (const [name, code] of Object.entries(NAME_ALIASES)) byName.set(name, code);
  return byName;
}

async function load(url: string, object: string): Promise<Features> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`map data: ${response.status}`);
  const topology = (await response.json()) as Topology;
  return feature(topology, topology.objects[object]!) as unknown as Features;
}

export async function loadCountries(): Promise<Area[]> {
  const byName = alpha2ByName();
  const countries = await load(worldUrl, 'countries');
  return countries.features.map((f) => ({
    code: byName.get(f.properties.name) ?? `?${f.id}`,
    name: f.properties.name,
    geometry: f.geometry,
  }));
}

export async function loadStates(): Promise<Area[]> {
  const states = await load(statesUrl, 'states');
  return states.features.map((f) => ({
    code: `US-${STATE_CODES[String(f.id)] ?? f.id}`,
    name: f.properties.name,
    geometry: f.geometry,
  }));
}

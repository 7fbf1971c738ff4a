/** Small GeoLite2-shaped City and ASN databases for the GeoIP tests, written with the test MMDB writer. */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { mmdbTyped, writeMmdb } from './mmdb-writer.js';

/** Paths of the GeoLite2-shaped test databases written by `writeTestGeoDatabases`. */
export interface TestGeoDatabases {
  readonly cityPath: string;
  readonly asnPath: string;
}

/**
 * Write small GeoLite2-City and GeoLite2-ASN files into `dir`: 93.184.216.0/24 is Berlin, 2a00:1450::/32 is
 * Aalborg (IPv6 only), 198.51.100.0/24 knows only its country; ASNs for 93.184.0.0/16, 2606:2800::/32, 2a00:1450::/32.
 */
export async function writeTestGeoDatabases(dir: string): Promise<TestGeoDatabases> {
  const europe = { code: 'EU', geoname_id: 6255148, names: { en: 'Europe', de: 'Europa' } };
  const city = writeMmdb(
    [
      {
        network: '93.184.216.0/24',
        data: {
          city: { geoname_id: 2950159, names: { en: 'Berlin', de: 'Berlin' } },
          continent: europe,
          country: { geoname_id: 2921044, is_in_european_union: true, iso_code: 'DE', names: { en: 'Germany' } },
          location: {
            accuracy_radius: mmdbTyped('uint16', 20),
            latitude: 52.52,
            longitude: 13.405,
            time_zone: 'Europe/Berlin',
          },
          postal: { code: '10115' },
          subdivisions: [{ geoname_id: 2950157, iso_code: 'BE', names: { en: 'Land Berlin' } }],
        },
      },
      {
        network: '2a00:1450::/32',
        data: {
          city: { geoname_id: 2624886, names: { en: 'Aalborg' } },
          continent: europe,
          country: { geoname_id: 2623032, is_in_european_union: true, iso_code: 'DK', names: { en: 'Denmark' } },
          location: { accuracy_radius: mmdbTyped('uint16', 5), latitude: 57.64911, longitude: 10.40744 },
        },
      },
      {
        network: '198.51.100.0/24',
        data: {
          country: { geoname_id: 6252001, iso_code: 'US', names: { en: 'United States' } },
          location: {
            accuracy_radius: mmdbTyped('uint16', 1000),
            latitude: mmdbTyped('double', 37),
            longitude: -97.822,
          },
        },
      },
    ],
    { databaseType: 'GeoLite2-City', languages: ['de', 'en'], description: { en: 'GeoLite2 City test database' } },
  );
  const asn = writeMmdb(
    [
      {
        network: '93.184.0.0/16',
        data: { autonomous_system_number: 15133, autonomous_system_organization: 'Edgecast' },
      },
      {
        network: '2606:2800::/32',
        data: { autonomous_system_number: 15133, autonomous_system_organization: 'Edgecast' },
      },
      {
        network: '2a00:1450::/32',
        data: { autonomous_system_number: 15169, autonomous_system_organization: 'Google' },
      },
    ],
    { databaseType: 'GeoLite2-ASN', recordSize: 28, description: { en: 'GeoLite2 ASN test database' } },
  );
  const paths = { cityPath: join(dir, 'GeoLite2-City.mmdb'), asnPath: join(dir, 'GeoLite2-ASN.mmdb') };
  await Promise.all([writeFile(paths.cityPath, city), writeFile(paths.asnPath, asn)]);
  return paths;
}

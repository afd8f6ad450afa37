/**
 * The embedded configuration used when no file is given: the Plex -> FedEx demo. Its credentials
 * are vault references that do not exist until someone stores them, so with `simulator: auto`
 * both connections run against the simulators out of the box. examples/plex-fedex.yaml is the
 * same configuration written out (a test keeps the two equal).
 */
export const DEMO_CONFIG = {
  connections: {
    'plex-demo': {
      system: 'plex',
      baseUrl: 'https://test.connect.plex.com',
      simulator: 'auto',
      credentials: { apiKey: 'vault:plex-demo.apiKey' },
      settings: { readyState: 'Open' },
    },
    'fedex-demo': {
      system: 'fedex',
      baseUrl: 'https://apis-sandbox.fedex.com',
      simulator: 'auto',
      credentials: { clientId: 'vault:fedex-demo.clientId', clientSecret: 'vault:fedex-demo.clientSecret' },
      settings: {
        accountNumber: '123456789',
        pickupType: 'DROPOFF_AT_FEDEX_LOCATION',
        labelImageType: 'PDF',
      },
    },
  },
  // Demo pace: the simulators move fast, so poll and track often. Production configs keep the
  // defaults (5m and 15m) or whatever the ERP and carrier limits allow.
  schedules: { erpPoll: { every: '5s' }, trackingSweep: { every: '10s' } },
  mappings: [
    {
      erp: 'plex-demo',
      carrier: 'fedex-demo',
      shipFrom: {
        company: 'Demo Manufacturing Co',
        name: 'Shipping Dept',
        lines: ['3610 Hacks Cross Rd'],
        city: 'Memphis',
        stateOrProvince: 'TN',
        postalCode: '38125',
        countryCode: 'US',
        phone: '9015550100',
      },
      serviceLevels: {
        'FDX-GROUND': 'FEDEX_GROUND',
        'FDX-2DAY': 'FEDEX_2_DAY',
        'FDX-OVERNIGHT': 'PRIORITY_OVERNIGHT',
      },
      defaultService: 'FEDEX_GROUND',
      // Plex keeps no country of origin for a part: the demo's parts are made in Memphis.
      customs: { defaults: { countryOfManufacture: 'US' } },
    },
  ],
} as const;

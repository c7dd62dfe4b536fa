// A national ID system on a real port, for tests and the demo: MOSIP-style ID Authentication (auth and eKYC) and a
// DCI ID registry search over the same synthetic people (the demo seed's, see identities.ts). Faults on demand
// through POST /control (outage, slow answers, failing requests); identities added with POST /control/identities;
// GET / lists a few identities to register with in the demo.
import { generateKeyPairSync } from 'node:crypto';
import express from 'express';
import type { Simulator } from '../framework/types.js';
import { DCI_SEARCH_PATH } from './dci.js';
import { createFaults, listenApp } from './faults.js';
import { demoIdentities, fullNames, normaliseName, type Identity } from './identities.js';
import { AUTH_ID, KYC_ID, openIdaRequest, type IdaRequest, type IdaResponse } from './mosip.js';
import { DEMO_OIDC_CLIENT_ID, demoClientKeys, OIDC_PATHS, oidcProviderRoutes } from './oidc-provider.js';

export const DEMO_CREDENTIALS = { partnerId: 'srhub-partner', mispLicenseKey: 'demo-misp-license-key', apiKey: 'demo-ida-api-key', dciToken: 'demo-dci-token' };

let keyPair: { publicKey: string; privateKey: string } | undefined;
/** The IDA's key pair: made once per process, so demoConfiguration can hand out its public key. */
function idaKeys() {
  keyPair ??= generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
  return keyPair;
}

export interface NationalIdSimulatorOptions {
  port?: number;
  host?: string;
  /** The day the demo data was seeded (YYYY-MM-DD; birth dates count back from it); default today. */
  asOf?: string;
  /** Start with no identities but those added through the control endpoint. */
  empty?: boolean;
}

const KYC_FIELDS: Record<string, (i: Identity) => unknown> = {
  name: (i) => [{ language: 'eng', value: [i.given_name, i.other_names, i.family_name].filter(Boolean).join(' ') }],
  dob: (i) => i.birth_date.replace(/-/g, '/'),
  gender: (i) => (i.sex ? [{ language: 'eng', value: i.sex }] : undefined),
  phoneNumber: (i) => i.phone,
  emailId: (i) => i.email,
  fullAddress: (i) => (i.address ? [{ language: 'eng', value: i.address }] : undefined),
};

export function createNationalIdSimulatorApp(options: NationalIdSimulatorOptions = {}) {
  const identities = options.empty ? new Map<string, Identity>() : demoIdentities({ asOf: options.asOf });
  const faults = createFaults();
  const app = express();
  app.use(express.json({ limit: '1mb' }));

  const answer = (body: IdaRequest, response: IdaResponse['response'], errors: IdaResponse['errors']): IdaResponse => ({
    id: body.id, version: '1.0', responseTime: new Date().toISOString(), transactionID: body.transactionID, response, errors,
  });

  const ida = (kyc: boolean): express.RequestHandler => (req, res) => {
    const { misp, partner, apiKey } = req.params as Record<string, string>;
    if (misp !== DEMO_CREDENTIALS.mispLicenseKey || partner !== DEMO_CREDENTIALS.partnerId || apiKey !== DEMO_CREDENTIALS.apiKey) {
      res.status(403).json({ errors: [{ errorCode: 'IDA-MPA-008', errorMessage: 'Partner or API key not valid' }] });
      return;
    }
    const body = req.body as IdaRequest;
    if (body?.id !== (kyc ? KYC_ID : AUTH_ID) || typeof body.individualId !== 'string' || typeof body.request !== 'string') {
      res.status(400).json(answer(body ?? ({} as IdaRequest), null, [{ errorCode: 'IDA-MLC-006', errorMessage: 'Missing or invalid input parameter' }]));
      return;
    }
    let demographics: ReturnType<typeof openIdaRequest>['demographics'];
    try {
      demographics = openIdaRequest(idaKeys().privateKey, body).demographics ?? {};
    } catch {
      res.status(400).json(answer(body, null, [{ errorCode: 'IDA-MLC-009', errorMessage: 'Request could not be decrypted' }]));
      return;
    }
    const identity = identities.get(body.individualId.trim());
    if (!identity) {
      res.json(answer(body, { [kyc ? 'kycStatus' : 'authStatus']: false }, [{ errorCode: 'IDA-MLC-002', errorMessage: `Invalid ${body.individualIdType}` }]));
      return;
    }
    const failed: string[] = [];
    const name = demographics.name?.[0]?.value;
    if (!name || !fullNames(identity).has(normaliseName(name))) failed.push('name');
    if (demographics.dob !== identity.birth_date.replace(/-/g, '/')) failed.push('dob');
    const gender = demographics.gender?.[0]?.value;
    if (gender && identity.sex && gender.toLowerCase() !== identity.sex.toLowerCase()) failed.push('gender');
    if (failed.length) {
      res.json(answer(body, { [kyc ? 'kycStatus' : 'authStatus']: false }, failed.map((f) => ({ errorCode: 'IDA-DEA-001', errorMessage: `Demographic data ${f} did not match` }))));
      return;
    }
    const token = `AT-${body.transactionID}`;
    if (!kyc) {
      res.json(answer(body, { authStatus: true, authToken: token }, null));
      return;
    }
    const attributes = Object.fromEntries((body.allowedKycAttributes ?? [])
      .filter((a) => a in KYC_FIELDS)
      .map((a) => [a, KYC_FIELDS[a](identity)])
      .filter(([, v]) => v !== undefined));
    res.json(answer(body, { kycStatus: true, authToken: token, identity: attributes }, null));
  };

  app.post('/idauthentication/v1/auth/:misp/:partner/:apiKey', faults.middleware, ida(false));
  app.post('/idauthentication/v1/kyc/:misp/:partner/:apiKey', faults.middleware, ida(true));

  app.post(DCI_SEARCH_PATH, faults.middleware, (req, res) => {
    if (req.header('authorization') !== `Bearer ${DEMO_CREDENTIALS.dciToken}`) {
      res.status(401).json({ error: { code: 'err.auth.invalid', message: 'Bearer token missing or not valid' } });
      return;
    }
    const { header, message } = req.body ?? {};
    const items: any[] = Array.isArray(message?.search_request) ? message.search_request : []; // eslint-disable-line @typescript-eslint/no-explicit-any
    if (header?.action !== 'search' || items.length === 0) {
      res.status(400).json({ error: { code: 'err.request.bad', message: 'a search with at least one search_request is expected' } });
      return;
    }
    const search_response = items.map((item) => {
      const criteria = item?.search_criteria;
      const base = { reference_id: item?.reference_id, timestamp: new Date().toISOString() };
      if (criteria?.query_type !== 'idtype-value' || criteria.query?.type !== 'UIN') {
        return { ...base, status: 'rjct', status_reason_code: 'rjct.search_criteria.invalid', status_reason_message: 'only idtype-value queries on UIN' };
      }
      const identity = identities.get(String(criteria.query.value).trim());
      const records = identity ? [{
        identifier: [{ identifier_type: 'UIN', identifier_value: identity.uin }],
        name: { given_name: identity.given_name, surname: identity.family_name, second_name: identity.other_names ?? '' },
        ...(identity.sex ? { sex: identity.sex } : {}),
        birth_date: identity.birth_date,
      }] : [];
      return { ...base, status: 'succ', data: { version: '1.0.0', reg_type: criteria.reg_type, reg_record_type: 'Person', reg_records: records },
        pagination: { page_size: 1, page_number: 1, total_count: records.length } };
    });
    res.json({
      header: { version: '1.0.0', message_id: crypto.randomUUID(), message_ts: new Date().toISOString(), action: 'on-search', status: 'succ',
        sender_id: 'national-id-simulator', receiver_id: header.sender_id, total_count: search_response.length, is_msg_encrypted: false },
      message: { transaction_id: message.transaction_id, correlation_id: crypto.randomUUID(), search_response },
    });
  });

  const control = express.Router();
  faults.routes(control, () => ({ identities: identities.size }));
  control.post('/control/identities', (req, res) => {
    const list = Array.isArray(req.body) ? req.body : [req.body];
    const bad = list.findIndex((i) => !i || typeof i.uin !== 'string' || typeof i.given_name !== 'string' || typeof i.family_name !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(String(i.birth_date)));
    if (bad >= 0) {
      res.status(400).json({ errors: [`[${bad}]: uin, given_name, family_name and birth_date (YYYY-MM-DD) are required`] });
      return;
    }
    for (const i of list as Identity[]) identities.set(i.uin, i);
    res.json({ identities: identities.size });
  });
  control.delete('/control/identities/:uin', (req, res) => {
    res.json({ removed: identities.delete(req.params.uin) });
  });
  app.use(control);
  const oidc = oidcProviderRoutes(identities);
  app.use([OIDC_PATHS.discovery, OIDC_PATHS.jwks, OIDC_PATHS.token, OIDC_PATHS.userinfo], faults.middleware);
  app.use(oidc);
  app.get('/', (_req, res) => {
    const rows = [...identities.values()].slice(0, 25)
      .map((i) => `<tr><td>${esc(i.uin)}</td><td>${esc(i.given_name)} ${esc(i.family_name)}</td><td>${esc(i.birth_date)}</td><td>${esc(i.sex ?? '')}</td></tr>`).join('');
    res.type('html').send(`<!doctype html><meta charset="utf-8"><title>National ID simulator</title>
<h1>National ID simulator</h1><p>${identities.size} synthetic identities (the demo seed's). Faults: POST /control {"mode":"outage"|"slow"|"normal","delayMs":n,"failNext":n}.</p>
<table border="1" cellpadding="4"><tr><th>UIN</th><th>Name</th><th>Birth date</th><th>Sex</th></tr>${rows}</table>`);
  });
  return { app, faults, identities, oidc };
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export const nationalIdSimulator: Simulator & { start(opts: NationalIdSimulatorOptions): ReturnType<Simulator['start']> } = {
  async start(opts) {
    const { app, faults } = createNationalIdSimulatorApp(opts);
    return listenApp(app, opts, () => faults.release());
  },
  demoConfiguration(simulatorUrl) {
    return {
      protocol: 'mosip',
      baseUrl: simulatorUrl,
      idType: 'UIN',
      partnerId: DEMO_CREDENTIALS.partnerId,
      mispLicenseKey: DEMO_CREDENTIALS.mispLicenseKey,
      apiKey: DEMO_CREDENTIALS.apiKey,
      idaPublicKey: idaKeys().publicKey,
      dciToken: DEMO_CREDENTIALS.dciToken,
      // the portal's "sign in with National ID" (eSignet-style OpenID Connect)
      oidcIssuer: simulatorUrl,
      oidcClientId: DEMO_OIDC_CLIENT_ID,
      oidcClientKey: JSON.stringify(demoClientKeys().privateJwk),
    };
  },
};

// Notification connector: SMS and e-mail through an HTTP gateway, for consent expiry notices, the registration
// workflow's news and one-time codes (sendOneTimeCode, for the portal). Messages go through the hub's durable
// delivery queue (retries, backoff, once per dedupe key); only to people with a phone or e-mail whose consent covers it.
import type { Connector } from '../framework/types.js';
import { configSchema, SECRET_KEYS } from './config.js';
import { consentExpiredJob, workflowNoticesJob } from './jobs.js';
import { notificationSimulator } from './simulator.js';

export { sendOneTimeCode, sendOneTimeCodeToNumber, queueNotification, notificationPreparer, NOTIFICATION_KIND } from './send.js';

const connector: Connector = {
  manifest: {
    id: 'notification',
    name: 'Notifications (SMS and e-mail)',
    version: '1.0.0',
    kinds: ['push'],
    description: 'Tells people about their registration, changes to their record, consent expiry and one-time codes, by SMS or e-mail through an HTTP gateway.',
    configSchema,
    secretKeys: SECRET_KEYS,
    jobs: {
      'consent-expired': {
        description: 'A notice to each person whose consent expired.',
        triggers: { events: ['consent.expired'] },
        personalData: true,
      },
      'workflow-notices': {
        description: 'Tells the household head when a registration is complete and when a change is approved, rejected or applied.',
        triggers: { events: ['registration.registered', 'change.approved', 'change.rejected', 'change.applied'] },
        personalData: true,
      },
    },
  },
  jobs: { 'consent-expired': consentExpiredJob, 'workflow-notices': workflowNoticesJob },
  simulator: notificationSimulator,
};

export default connector;

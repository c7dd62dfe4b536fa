// Who the portal speaks for: the person-scoped token of a sign-in (one-time code or national ID), kept in
// sessionStorage so it is gone when the tab closes (a shared phone), with what the pages need to know about it.

import { sessionStore } from '../shared/session.js';

/** POST /api/v1/portal/session and /api/v1/portal/oidc/session answer this (openapi/hub/portal.yaml PortalSession). */
export interface SessionAnswer {
  access_token: string;
  expires_in: number;
  scope: string;
  subject_kind: 'person' | 'applicant';
  person_id?: string;
}

export interface PortalSession {
  token: string;
  expiresAt: number;
  kind: 'person' | 'applicant';
  personId?: string;
  scopes: string[];
  /** The phone the code went to (an applicant's form starts with it). */
  phone?: string;
}

export function sessionFrom(answer: SessionAnswer, phone?: string): PortalSession {
  return {
    token: answer.access_token,
    expiresAt: Date.now() + answer.expires_in * 1000,
    kind: answer.subject_kind,
    personId: answer.person_id,
    scopes: answer.scope.split(' ').filter(Boolean),
    ...(phone ? { phone } : {}),
  };
}

/** sessionStorage: gone when the tab closes. */
export const portalSession = sessionStore<PortalSession>('portal');

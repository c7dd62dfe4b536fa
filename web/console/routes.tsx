// The console's pages: the first part of the hash route, the label's i18n key, the scopes that show it (any of them;
// the API checks them again on every call), and the component. Add a page by adding a line here.
import type { FunctionComponent } from 'preact';
import type { PageProps } from './context.js';
import { HomePage } from './pages/home.js';

export interface ConsoleRoute {
  path: string;
  label: string;
  scopes: string[];
  component: FunctionComponent<PageProps>;
}

export const ROUTES: ConsoleRoute[] = [
  { path: '', label: 'nav.home', scopes: [], component: HomePage },
];

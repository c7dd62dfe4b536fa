// The console's pages: the first part of the hash route, the label's i18n key, the scopes that show it (any of them;
// the API checks them again on every call), and the component. Add a page by adding a line here.
import type { FunctionComponent } from 'preact';
import type { PageProps } from './context.js';
import { DashboardPage } from './pages/dashboard.js';
import { HomePage } from './pages/home.js';
import { HouseholdPage } from './pages/household.js';
import { PersonPage } from './pages/person.js';
import { RegistryPage } from './pages/registry.js';
import { SimulationPage } from './pages/simulation.js';
import { AuditPage } from './pages/audit.js';
import { ClientsPage } from './pages/clients.js';
import { ConflictsPage } from './pages/conflicts.js';
import { ConnectorsPage } from './pages/connectors.js';
import { DuplicatesPage } from './pages/duplicates.js';
import { FormsPage } from './pages/forms.js';
import { ModelsPage } from './pages/models.js';
import { ProgramsPage } from './pages/programs.js';
import { QualityPage } from './pages/quality.js';
import { ReviewsPage } from './pages/reviews.js';
import { UsersPage } from './pages/users.js';

export interface ConsoleRoute {
  path: string;
  label: string;
  scopes: string[];
  component: FunctionComponent<PageProps>;
  /** A detail page reached by links (#/households/<id>), not listed in the navigation. */
  hidden?: boolean;
}

export const ROUTES: ConsoleRoute[] = [
  { path: '', label: 'nav.home', scopes: [], component: HomePage },
  { path: 'dashboard', label: 'nav.dashboard', scopes: ['reports.read'], component: DashboardPage },
  { path: 'simulation', label: 'nav.simulation', scopes: ['reports.read'], component: SimulationPage },
  { path: 'registry', label: 'nav.registry', scopes: ['registry.read'], component: RegistryPage },
  { path: 'households', label: 'nav.household', scopes: ['registry.read'], component: HouseholdPage, hidden: true },
  { path: 'persons', label: 'nav.person', scopes: ['registry.read'], component: PersonPage, hidden: true },
  // work queues (registry.review) and administration, each shown to the scope its API needs
  { path: 'reviews', label: 'nav.reviews', scopes: ['registry.review'], component: ReviewsPage },
  { path: 'duplicates', label: 'nav.duplicates', scopes: ['registry.review'], component: DuplicatesPage },
  { path: 'conflicts', label: 'nav.conflicts', scopes: ['registry.review'], component: ConflictsPage },
  { path: 'forms', label: 'nav.forms', scopes: ['forms.manage'], component: FormsPage },
  { path: 'models', label: 'nav.models', scopes: ['assessment.manage'], component: ModelsPage },
  { path: 'programs', label: 'nav.programs', scopes: ['assessment.manage'], component: ProgramsPage },
  { path: 'users', label: 'nav.users', scopes: ['users.manage'], component: UsersPage },
  { path: 'clients', label: 'nav.clients', scopes: ['users.manage'], component: ClientsPage },
  { path: 'connectors', label: 'nav.connectors', scopes: ['connectors.manage'], component: ConnectorsPage },
  { path: 'quality', label: 'nav.quality', scopes: ['reports.read'], component: QualityPage },
  { path: 'audit', label: 'nav.audit', scopes: ['audit.read'], component: AuditPage },
];

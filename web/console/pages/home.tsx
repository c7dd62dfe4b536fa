// The landing page after sign-in: who you are and where to go.
import { ROUTES } from '../routes.js';
import { hasScope, type PageProps } from '../context.js';
import { href } from '../../shared/router.js';

export function HomePage({ session, t }: PageProps) {
  const pages = ROUTES.filter((r) => r.path && !r.hidden && (r.scopes.length === 0 || hasScope(session, ...r.scopes)));
  return (
    <>
      <h1>{t('home.title', { name: session.username ?? '' })}</h1>
      <ul class="link-list">{pages.map((r) => <li><a href={href(`/${r.path}`)}>{t(r.label)}</a></li>)}</ul>
    </>
  );
}

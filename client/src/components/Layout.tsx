import { useLayoutEffect } from 'react';
import { Link, NavLink, Outlet, useLocation } from 'react-router-dom';

import { paths } from '../routes';
import { HealthDot } from './HealthDot';
import { LogoutButton } from './LogoutButton';

export function Header() {
  return (
    <header className="app-header">
      <Link to={paths.search} className="brand" aria-label="Manhwa Downloader home">
        <span className="brand-mark" aria-hidden="true">
          ▤
        </span>
        <span className="brand-name">Manhwa Downloader</span>
      </Link>
      <nav aria-label="Main">
        <NavLink to={paths.search} end>
          Search
        </NavLink>
        <NavLink to={paths.downloads}>Downloads</NavLink>
        <NavLink to={paths.library}>Library</NavLink>
      </nav>
      <HealthDot />
      <LogoutButton />
    </header>
  );
}

export function Layout() {
  const { pathname } = useLocation();
  // A new page starts at the top (the reader then scrolls to its resume point in an effect).
  useLayoutEffect(() => {
    window.scrollTo({ top: 0 });
  }, [pathname]);
  const reader = pathname.startsWith('/read/');
  return (
    <div className={reader ? 'layout layout-reader' : 'layout'}>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <Header />
      <main id="main" className="app-main">
        <Outlet />
      </main>
    </div>
  );
}

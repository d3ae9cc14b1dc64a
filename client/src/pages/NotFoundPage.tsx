import { Link } from 'react-router-dom';

import { useDocumentTitle } from '../hooks/useDocumentTitle';
import { paths } from '../routes';

export function NotFoundPage() {
  useDocumentTitle('Not found');
  return (
    <section className="state">
      <h1>Page not found</h1>
      <p>
        <Link to={paths.search}>Go to search</Link>
      </p>
    </section>
  );
}

import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter, Navigate, Route, Routes, useLocation } from 'react-router';
import type { ReactNode } from 'react';
import { Layout } from './components/Layout';
import { Loading } from './components/ui';
import { ProjectPage } from './pages/project/ProjectPage';
import { Projects } from './pages/Projects';
import { RepositoryPage } from './pages/RepositoryPage';
import { VulnerabilityReport } from './pages/VulnerabilityReport';
import { ExecutionPage } from './pages/ExecutionPage';
import { Replication } from './pages/replication/Replication';
import { AuditLogPage } from './pages/AuditLog';
import { Administration } from './pages/administration/Administration';
import { OidcOnboard } from './pages/OidcOnboard';
import { SignIn } from './pages/SignIn';
import { SessionProvider, useSession } from './session';
import './styles.css';

// A failed request is shown at once with a retry button rather than retried silently.
const queries = new QueryClient({ defaultOptions: { queries: { retry: false, refetchOnWindowFocus: false } } });

function RequireUser({ children }: { children: ReactNode }) {
  const { user, signedOut } = useSession();
  const location = useLocation();
  if (user === undefined) return <Loading what="your session" />;
  // After signing out, a fresh start; otherwise back to the page that was asked for.
  if (!user) return <Navigate to="/sign-in" replace state={signedOut ? undefined : { from: location.pathname + location.search }} />;
  return children;
}

function NotFound() {
  return <p className="state">There is nothing at this address.</p>;
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <QueryClientProvider client={queries}>
      <SessionProvider>
        <BrowserRouter>
          <Routes>
            <Route path="/sign-in" element={<SignIn />} />
            <Route path="/oidc-onboard" element={<OidcOnboard />} />
            <Route
              element={
                <RequireUser>
                  <Layout />
                </RequireUser>
              }
            >
              <Route path="/" element={<Navigate to="/projects" replace />} />
              <Route path="/projects" element={<Projects />} />
              <Route path="/projects/:project/repositories/:repository" element={<RepositoryPage />} />
              <Route path="/projects/:project/repositories/:repository/artifacts/:digest/vulnerabilities" element={<VulnerabilityReport />} />
              <Route path="/projects/:project/:tab?" element={<ProjectPage />} />
              <Route path="/replication/executions/:id" element={<ExecutionPage />} />
              <Route path="/replication/:tab?" element={<Replication />} />
              <Route path="/audit-log" element={<AuditLogPage />} />
              <Route path="/admin/:tab?" element={<Administration />} />
              <Route path="*" element={<NotFound />} />
            </Route>
          </Routes>
        </BrowserRouter>
      </SessionProvider>
    </QueryClientProvider>
  </StrictMode>,
);

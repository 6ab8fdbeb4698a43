// Routes and role-aware navigation. A page whose role the user lacks is neither linked nor
// rendered (the server refuses its API calls too; this only keeps the UI honest).
import { lazy, Suspense, type ReactNode } from "react";
import { Navigate, NavLink, Route, Routes, useLocation } from "react-router";
import { hasRole, useAuth, type Role } from "./lib/auth.tsx";
import { Loading } from "./components/Status.tsx";
import { LoginPage } from "./pages/Login.tsx";
import { ErrorBoundary } from "./components/ErrorBoundary.tsx";

const AuditPage = lazy(() => import("./pages/dpo/Audit.tsx"));
const LedgerPage = lazy(() => import("./pages/dpo/Ledger.tsx"));
const TracePage = lazy(() => import("./pages/dpo/Trace.tsx"));
const AlertsPage = lazy(() => import("./pages/dpo/Alerts.tsx"));
const NodeStatusPage = lazy(() => import("./pages/hospital/NodeStatus.tsx"));
const CataloguePage = lazy(() => import("./pages/hospital/Catalogue.tsx"));
const ApprovalsPage = lazy(() => import("./pages/hospital/Approvals.tsx"));
const UsersPage = lazy(() => import("./pages/admin/Users.tsx"));
const NodesAdminPage = lazy(() => import("./pages/admin/Nodes.tsx"));
const NewRequestPage = lazy(() => import("./pages/scientist/NewRequest.tsx"));
const RequestsPage = lazy(() => import("./pages/scientist/Requests.tsx"));
const RequestDetailPage = lazy(() => import("./pages/scientist/RequestDetail.tsx"));
const ViewerPage = lazy(() => import("./pages/scientist/Viewer.tsx"));
const TrainingPage = lazy(() => import("./pages/scientist/Training.tsx"));
const TrainingSessionPage = lazy(() => import("./pages/scientist/TrainingSession.tsx"));

interface PageDef {
  path: string;
  label?: string;
  roles: Role[];
  element: ReactNode;
}

const PAGES: PageDef[] = [
  { path: "/requests/new", label: "Request data", roles: ["data-scientist"], element: <NewRequestPage /> },
  { path: "/requests", label: "My requests", roles: ["data-scientist"], element: <RequestsPage /> },
  { path: "/requests/:id", roles: ["data-scientist"], element: <RequestDetailPage /> },
  { path: "/viewer/local", label: "Viewer (local files)", roles: ["data-scientist"], element: <ViewerPage /> },
  { path: "/viewer/:grantId", roles: ["data-scientist"], element: <ViewerPage /> },
  { path: "/training", label: "Training", roles: ["data-scientist"], element: <TrainingPage /> },
  { path: "/training/:id", roles: ["data-scientist"], element: <TrainingSessionPage /> },
  { path: "/audit", label: "Audit log", roles: ["dpo", "consortium-admin"], element: <AuditPage /> },
  { path: "/ledger", label: "Ledger", roles: ["dpo", "consortium-admin"], element: <LedgerPage /> },
  { path: "/trace", label: "Trace a file", roles: ["dpo"], element: <TracePage /> },
  { path: "/alerts", label: "Alerts", roles: ["dpo", "consortium-admin"], element: <AlertsPage /> },
  { path: "/node", label: "Node status", roles: ["hospital-admin"], element: <NodeStatusPage /> },
  { path: "/catalogue", label: "Catalogue", roles: ["hospital-admin"], element: <CataloguePage /> },
  { path: "/approvals", label: "Approvals and policy", roles: ["hospital-admin"], element: <ApprovalsPage /> },
  { path: "/users", label: "Users and roles", roles: ["consortium-admin"], element: <UsersPage /> },
  { path: "/nodes", label: "Nodes", roles: ["consortium-admin"], element: <NodesAdminPage /> },
];

export function App() {
  const { user, loading, logout } = useAuth();
  const location = useLocation();
  if (loading) return <main id="main"><Loading what="your session" /></main>;
  if (!user) {
    if (location.pathname !== "/login") return <Navigate to={`/login?next=${encodeURIComponent(location.pathname)}`} replace />;
    return <LoginPage />;
  }
  const visible = PAGES.filter((page) => page.label && hasRole(user, page.roles));
  return (
    <>
      <a className="skip-link" href="#main">Skip to content</a>
      <header className="topbar">
        <span className="brand">medtrace</span>
        <nav aria-label="Main">
          <ul>
            {visible.map((page) => (
              <li key={page.path}><NavLink to={page.path} end>{page.label}</NavLink></li>
            ))}
          </ul>
        </nav>
        <div className="who">
          <span aria-label="Signed in as">{user.username}</span>{" "}
          <span className="muted">({user.roles.join(", ")})</span>{" "}
          <button type="button" onClick={logout}>Sign out</button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <ErrorBoundary resetKey={location.pathname}>
        <Suspense fallback={<Loading what="page" />}>
          <Routes>
            <Route path="/login" element={<Navigate to={visible[0]?.path ?? "/"} replace />} />
            <Route path="/" element={visible[0] ? <Navigate to={visible[0].path} replace /> : <NoPages />} />
            {PAGES.map((page) => (
              <Route key={page.path} path={page.path} element={<RequireRole roles={page.roles}>{page.element}</RequireRole>} />
            ))}
            <Route path="*" element={<NotFound />} />
          </Routes>
        </Suspense>
        </ErrorBoundary>
      </main>
    </>
  );
}

function RequireRole({ roles, children }: { roles: Role[]; children: ReactNode }) {
  const { user } = useAuth();
  if (hasRole(user, roles)) return <>{children}</>;
  return (
    <section aria-labelledby="forbidden-title">
      <h1 id="forbidden-title">Not allowed</h1>
      <p role="alert" className="status error">
        This page needs the role {roles.join(" or ")}. You are signed in with {user?.roles.join(", ") || "no role"}.
      </p>
    </section>
  );
}

function NoPages() {
  return <p className="status empty">Your account has no role yet. Ask a consortium admin to assign one.</p>;
}

function NotFound() {
  return (
    <section>
      <h1>Page not found</h1>
      <p className="status empty">There is no page at this address.</p>
    </section>
  );
}

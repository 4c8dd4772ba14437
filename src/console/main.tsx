/**
 * The operator console: signs in, then draws the view the URL's hash names. Every view reads and
 * acts through the documented /v1 endpoints with the session cookie and the CSRF header.
 */
import "uplot/dist/uPlot.min.css";
import "./console.css";
import { render } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, call, json, messageOf, setCsrfToken, whenSignedOut } from "./api.js";
import { Alerts } from "./alerts.js";
import { Health } from "./health.js";
import { Lockouts } from "./lockouts.js";
import { Overview } from "./overview.js";
import { Search } from "./search.js";
import { SignIn } from "./sign-in.js";
import { Timeline } from "./timeline.js";
import type { SessionInfo } from "./types.js";

interface View {
  hash: string;
  label: string;
  adminOnly?: boolean;
}

const VIEWS: readonly View[] = [
  { hash: "#/overview", label: "Overview" },
  { hash: "#/search", label: "Search" },
  { hash: "#/lockouts", label: "Lockouts", adminOnly: true },
  { hash: "#/health", label: "Health" },
  { hash: "#/alerts", label: "Alerts", adminOnly: true },
];

function useHash(): string {
  const [hash, setHash] = useState(location.hash || "#/overview");
  useEffect(() => {
    const changed = () => setHash(location.hash || "#/overview");
    addEventListener("hashchange", changed);
    return () => removeEventListener("hashchange", changed);
  }, []);
  return hash;
}

/** The name of the view Body draws, as the navigation (or the timeline) calls it. */
function titleOf(hash: string, admin: boolean): string {
  if (hash.startsWith("#/verification/")) return "Verification";
  return VIEWS.find((view) => view.hash === hash && (!view.adminOnly || admin))?.label ?? "Overview";
}

function Body({ hash, session }: { hash: string; session: SessionInfo }) {
  const verification = /^#\/verification\/(.+)$/.exec(hash);
  if (verification) return <Timeline id={decodeURIComponent(verification[1]!)} admin={session.admin} />;
  if (hash === "#/health") return <Health />;
  if (hash === "#/search") return <Search />;
  if (hash === "#/lockouts" && session.admin) return <Lockouts />;
  if (hash === "#/alerts" && session.admin) return <Alerts />;
  return <Overview />;
}

function Console({ session, onSignOut }: { session: SessionInfo; onSignOut: () => Promise<string | undefined> }) {
  const hash = useHash();
  const [signOutError, setSignOutError] = useState<string | undefined>();
  const main = useRef<HTMLElement>(null);
  // A new view moves the focus to its content and names itself in the title, as a page load would,
  // for keyboard and screen reader users (and the browser's history).
  useEffect(() => {
    main.current?.focus();
    document.title = `${titleOf(hash, session.admin)} · otp-actions console`;
  }, [hash, session.admin]);
  return (
    <>
      <header>
        <h1>otp-actions console</h1>
        <nav aria-label="Views">
          {VIEWS.filter((view) => !view.adminOnly || session.admin).map((view) => (
            <a key={view.hash} href={view.hash} aria-current={hash.startsWith(view.hash) ? "page" : undefined}>
              {view.label}
            </a>
          ))}
        </nav>
        <span class="who">{session.admin ? "admin" : "read only"}</span>
        <button type="button" id="sign-out" class="plain" onClick={async () => setSignOutError(await onSignOut())}>
          Sign out
        </button>
      </header>
      {signOutError && (
        <p class="status err" role="alert">
          Not signed out: {signOutError}
        </p>
      )}
      <main id="main" ref={main} tabIndex={-1}>
        <Body hash={hash} session={session} />
      </main>
    </>
  );
}

function App() {
  const [session, setSession] = useState<SessionInfo | null | undefined>();
  // Why a session could not be checked (not "no session": a 401), shown above the sign-in form.
  const [unchecked, setUnchecked] = useState<string | undefined>();
  const signedIn = (next: SessionInfo | null) => {
    setCsrfToken(next?.csrfToken);
    setSession(next);
  };
  useEffect(() => {
    whenSignedOut(() => signedIn(null));
    json<SessionInfo>("/admin/session").then(signedIn, (error: unknown) => {
      if (!(error instanceof ApiError && error.status === 401)) setUnchecked(messageOf(error));
      signedIn(null);
    });
  }, []);
  if (session === undefined) return <p>Loading…</p>;
  if (session === null) return <SignIn onSignedIn={signedIn} unchecked={unchecked} />;
  /** Undefined once signed out; else why not (the session stays live on every instance). */
  const signOut = async (): Promise<string | undefined> => {
    try {
      await call("/admin/session", { method: "DELETE" });
    } catch (error) {
      // 401: the session had already ended. Anything else (a store that did not answer) ended nothing.
      if (!(error instanceof ApiError && error.status === 401)) return messageOf(error);
    }
    signedIn(null);
    return undefined;
  };
  return <Console session={session} onSignOut={signOut} />;
}

const root = document.getElementById("app")!;
// The page's own "Loading…" text is not Preact's to diff against: start from an empty element.
root.replaceChildren();
render(<App />, root);

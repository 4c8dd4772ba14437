/** The sign-in form: an API key with the `audit` or `admin` scope, posted once, never stored. */
import { useEffect, useState } from "preact/hooks";
import { json, messageOf } from "./api.js";
import type { SessionInfo } from "./types.js";

/** `unchecked`: why a session this browser may hold could not be checked (a store out of reach), said above the form. */
export function SignIn({ onSignedIn, unchecked }: { onSignedIn: (session: SessionInfo) => void; unchecked?: string | undefined }) {
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    document.title = "Sign in · otp-actions console";
  }, []);
  const submit = async (event: Event) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const input = form.elements.namedItem("apiKey") as HTMLInputElement;
    setBusy(true);
    try {
      const session = await json<SessionInfo>("/admin/session", { body: { apiKey: input.value } });
      input.value = "";
      onSignedIn(session);
    } catch (caught) {
      setError(messageOf(caught));
      input.focus();
    } finally {
      setBusy(false);
    }
  };
  return (
    <main id="main" class="narrow">
      <h1>otp-actions console</h1>
      {unchecked && (
        <p id="session-unchecked" class="status err" role="alert">
          Your session could not be checked: {unchecked}. Reload once the service answers.
        </p>
      )}
      <form onSubmit={submit} aria-describedby={error ? "sign-in-error" : undefined}>
        <label for="api-key">API key (scope audit or admin)</label>
        <input id="api-key" name="apiKey" type="password" autocomplete="off" required maxLength={512} />
        <button type="submit" disabled={busy}>
          Sign in
        </button>
      </form>
      {error && (
        <p id="sign-in-error" class="status err" role="alert">
          {error}
        </p>
      )}
    </main>
  );
}

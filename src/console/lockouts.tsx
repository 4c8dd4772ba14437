/**
 * Lift a lockout (admin): an identifier as the user typed it (normalised by the server as the
 * engine does) or the hash an audit row shows, and the purpose. Asks before it acts.
 */
import { useState } from "preact/hooks";
import { json, messageOf } from "./api.js";
import { ConfirmButton } from "./confirm-button.js";
import { Notice, type NoticeText } from "./notice.js";

/** POST /v1/admin/lockouts/lift's answer (LockoutLifted). */
interface Lifted {
  status: "unlocked";
  purpose: string;
  identifierHash: string;
  lifted: boolean;
}

/** Lifts the lockouts of one identifier + purpose; the message to show. */
export async function liftLockout(who: { identifier?: string; identifierHash?: string; purpose: string }): Promise<string> {
  const answer = await json<Lifted>("/v1/admin/lockouts/lift", { body: who });
  return answer.lifted
    ? `Lifted the lockouts of ${answer.identifierHash} for ${answer.purpose}: a new code can be checked at once.`
    : "This service runs without a guard that locks anyone out: there was nothing to lift.";
}

export function Lockouts() {
  const [identifier, setIdentifier] = useState("");
  const [purpose, setPurpose] = useState("");
  const [notice, setNotice] = useState<NoticeText | undefined>();
  const hash = /^'?[A-Za-z0-9_-]{22}$/.test(identifier.trim()) && !identifier.includes("@");
  const lift = async () => {
    try {
      const value = identifier.trim();
      // A hash pasted from an export may carry the "'" that keeps spreadsheets from reading it as a formula.
      const who = hash ? { identifierHash: value.replace(/^'/, "") } : { identifier: value };
      setNotice({ ok: true, text: await liftLockout({ ...who, purpose: purpose.trim() }) });
    } catch (caught) {
      setNotice({ ok: false, text: messageOf(caught) });
    }
  };
  return (
    <section aria-labelledby="lockouts-title">
      <h2 id="lockouts-title">Lift a lockout</h2>
      <p>Ends the lockouts and the runs of failed checks of one identifier for one purpose, from every IP. Each IP's own budget stays.</p>
      <form class="filters" onSubmit={(event) => event.preventDefault()}>
        <div class="field">
          <label for="lockout-identifier">Identifier or identifier hash</label>
          <input id="lockout-identifier" type="text" value={identifier} onInput={(event) => setIdentifier(event.currentTarget.value)} />
        </div>
        <div class="field">
          <label for="lockout-purpose">Purpose</label>
          <input id="lockout-purpose" type="text" value={purpose} onInput={(event) => setPurpose(event.currentTarget.value)} />
        </div>
        <div class="buttons">
          <ConfirmButton
            label="Lift lockout"
            question={`Lift the lockouts of ${identifier.trim() || "…"} for ${purpose.trim() || "…"}?`}
            disabled={identifier.trim() === "" || purpose.trim() === ""}
            onConfirm={lift}
          />
        </div>
      </form>
      <Notice notice={notice} />
    </section>
  );
}

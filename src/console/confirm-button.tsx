/** A button that asks before it acts: the first press shows what will happen and a Confirm / Keep pair. */
import { useEffect, useRef, useState } from "preact/hooks";

export function ConfirmButton(props: { label: string; question: string; onConfirm: () => Promise<void> | void; disabled?: boolean }) {
  const [asking, setAsking] = useState(false);
  const confirmRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (asking) confirmRef.current?.focus();
  }, [asking]);
  if (!asking)
    return (
      <button type="button" class="danger" disabled={props.disabled} onClick={() => setAsking(true)}>
        {props.label}
      </button>
    );
  return (
    <fieldset class="confirm">
      <legend>{props.question}</legend>
      <button
        ref={confirmRef}
        type="button"
        class="danger"
        onClick={async () => {
          setAsking(false);
          await props.onConfirm();
        }}
      >
        Confirm
      </button>
      <button type="button" onClick={() => setAsking(false)}>
        Keep
      </button>
    </fieldset>
  );
}

/**
 * A button that asks before it acts: the first press shows what will happen and a Confirm / Keep
 * pair. Escape keeps; either way the focus goes back to the button, not to the page's top.
 */
import { useEffect, useRef, useState } from "preact/hooks";

export function ConfirmButton(props: { label: string; question: string; onConfirm: () => Promise<void> | void; disabled?: boolean }) {
  const [asking, setAsking] = useState(false);
  const confirmRef = useRef<HTMLButtonElement>(null);
  const buttonRef = useRef<HTMLButtonElement>(null);
  // Whether the pair was shown: the button takes the focus back only when it replaces them.
  const asked = useRef(false);
  useEffect(() => {
    if (asking) confirmRef.current?.focus();
    else if (asked.current) buttonRef.current?.focus();
    asked.current = asking;
  }, [asking]);
  if (!asking)
    return (
      <button ref={buttonRef} type="button" class="danger" disabled={props.disabled} onClick={() => setAsking(true)}>
        {props.label}
      </button>
    );
  return (
    <fieldset
      class="confirm"
      onKeyDown={(event) => {
        if (event.key === "Escape") setAsking(false);
      }}
    >
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

/** The outcome of an action: a polite status when it went through, an alert when it did not. */
export interface NoticeText {
  ok: boolean;
  text: string;
}

export function Notice({ notice }: { notice: NoticeText | undefined }) {
  if (!notice) return null;
  return (
    <p class={`status ${notice.ok ? "ok" : "err"}`} role={notice.ok ? "status" : "alert"}>
      {notice.text}
    </p>
  );
}

import nodemailer, { type SendMailOptions, type SMTPTransportOptions, type Transporter } from "nodemailer";
import { DeliveryError, type Channel, type DeliverOptions, type OtpMessage } from "../contracts/channel.js";
import { isLoopbackHost, isSecureHttpUrl } from "./http-delivery.js";
import { createTemplateRenderer, type TemplateOptions } from "./templates.js";

/** Options of `smtpChannel`: a transport or a URL, the sender, and the templates. */
export interface SmtpChannelOptions extends TemplateOptions {
  /** A nodemailer transporter you built. Exactly one of `transport` and `url`. */
  transport?: Transporter;
  /**
   * SMTP connection URL, e.g. `smtps://user:pass@smtp.example.com:465` or
   * `smtp://user:pass@smtp.example.com:587` (STARTTLS when offered). The channel owns this
   * transport and closes it on `close()`.
   */
  url?: string;
  /** Sender, e.g. `"Acme <no-reply@acme.example>"`. Required. */
  from: string;
  /** The `Reply-To` address. */
  replyTo?: string;
  /** Channel name. Default "email". */
  name?: string;
  /** Extra headers on every message. */
  headers?: Record<string, string>;
  /**
   * Origin the code is bound to (`https://acme.example`): adds the `OTP-Token` header
   * (draft-goto-otp-token) so mail clients can offer to fill the code in on that origin only.
   */
  otpTokenOrigin?: string;
  /** Timeouts for a transport built from `url`. Defaults: connect 10 s, greeting 10 s, socket 30 s. */
  connectionTimeoutMs?: number;
  /** Timeout for the server's greeting, for a transport built from `url`. */
  greetingTimeoutMs?: number;
  /** Timeout for socket inactivity, for a transport built from `url`. */
  socketTimeoutMs?: number;
}

/**
 * Email delivery over SMTP with nodemailer. SMTP 5xx answers (a rejected recipient, refused
 * credentials, a refused message) are permanent and stop the engine's retries; 4xx answers and
 * connection failures are retryable. The engine's timeout aborts the SMTP conversation.
 */
export function smtpChannel(options: SmtpChannelOptions): Channel {
  if (typeof options !== "object" || options === null) throw new TypeError("otp-actions: smtpChannel needs an options object");
  if ((options.transport === undefined) === (options.url === undefined))
    throw new TypeError("otp-actions: smtpChannel needs exactly one of `transport` and `url`");
  if (typeof options.from !== "string" || options.from.trim() === "")
    throw new TypeError("otp-actions: smtpChannel needs `from`, the sender address");
  if (options.url !== undefined && (typeof options.url !== "string" || !/^smtps?:\/\//i.test(options.url))) {
    throw new TypeError("otp-actions: smtpChannel `url` must start with smtp:// or smtps://");
  }
  if (options.otpTokenOrigin !== undefined && !isOrigin(options.otpTokenOrigin)) {
    throw new TypeError("otp-actions: smtpChannel `otpTokenOrigin` must be an https origin such as https://acme.example");
  }
  const render = createTemplateRenderer(options);
  const owned = options.transport === undefined;
  const transport: Transporter = options.transport ?? nodemailer.createTransport(transportOptionsFor(options.url!, options));
  const { from, replyTo, otpTokenOrigin } = options;
  const extraHeaders = { ...options.headers };
  const messageIdDomain = domainOf(from);

  return {
    name: options.name ?? "email",
    accepts: "email",
    async deliver(message: OtpMessage, deliverOptions: DeliverOptions): Promise<void> {
      const rendered = render(message);
      const mail: SendMailOptions = {
        from,
        to: message.to,
        subject: rendered.subject,
        text: rendered.text,
        html: rendered.html,
        headers: {
          // Keeps vacation responders and ticket systems from answering a code.
          "Auto-Submitted": "auto-generated",
          "X-Auto-Response-Suppress": "All",
          "Content-Language": rendered.locale,
          ...extraHeaders,
        },
        // One Message-ID per code, the same on every attempt: when a server took the message but
        // its answer came too late, the retry is a duplicate that mail systems can recognise.
        messageId: `<${message.id}.otp@${messageIdDomain}>`,
        signal: deliverOptions.signal,
        ...(replyTo !== undefined && { replyTo }),
        ...(otpTokenOrigin !== undefined && message.notice === undefined && { otp: { code: message.code, origin: otpTokenOrigin } }),
      };
      try {
        await transport.sendMail(mail);
      } catch (error) {
        throw smtpDeliveryError(error);
      }
    },
    async health(): Promise<void> {
      try {
        await transport.verify();
      } catch (error) {
        throw smtpDeliveryError(error);
      }
    },
    async close(): Promise<void> {
      if (owned) transport.close();
    },
  };
}

/**
 * nodemailer options for a connection URL. The message holds a code, so a plain `smtp://` URL to
 * anything but loopback requires STARTTLS (`?requireTLS=false` in the URL turns that off for a
 * relay inside a trusted network); `smtps://` is TLS from the start.
 */
export function transportOptionsFor(
  url: string,
  timeouts: Pick<SmtpChannelOptions, "connectionTimeoutMs" | "greetingTimeoutMs" | "socketTimeoutMs"> = {},
): SMTPTransportOptions {
  const { protocol, hostname } = new URL(url);
  return {
    url,
    // Options parsed from the URL take precedence over these.
    requireTLS: protocol === "smtp:" && !isLoopbackHost(hostname),
    connectionTimeout: timeouts.connectionTimeoutMs ?? 10_000,
    greetingTimeout: timeouts.greetingTimeoutMs ?? 10_000,
    socketTimeout: timeouts.socketTimeoutMs ?? 30_000,
  };
}

/** The domain of the sender's address (`Acme <no-reply@acme.example>` → `acme.example`), for Message-IDs. */
function domainOf(from: string): string {
  const domain = /@([A-Za-z0-9.-]+)>?\s*$/.exec(from)?.[1];
  return domain ?? "otp-actions.invalid";
}

function isOrigin(value: unknown): boolean {
  try {
    return isSecureHttpUrl(new URL(String(value)));
  } catch {
    return false;
  }
}

// Failures no retry can fix: bad credentials or configuration, a malformed envelope or message.
const PERMANENT_CODES = new Set(["EAUTH", "ENOAUTH", "EENVELOPE", "EMESSAGE", "ECONFIG", "EOTP", "ETLS", "EREQUIRETLS"]);

/**
 * Turns a nodemailer failure into a DeliveryError. The message names the SMTP reply code and
 * command only: the server's text may quote the recipient, so it stays in `cause`.
 */
export function smtpDeliveryError(error: unknown): DeliveryError {
  const { code, responseCode, command } = (error ?? {}) as { code?: unknown; responseCode?: unknown; command?: unknown };
  if (code === "EABORT") return new DeliveryError("SMTP delivery aborted", { retryable: true, cause: error });
  if (typeof responseCode === "number") {
    // RFC 5321: 5yz is a permanent rejection, 4yz transient. 503 (bad sequence) says the session
    // was in the wrong state, not that the message was refused; a new connection can succeed.
    const permanent = responseCode >= 500 && responseCode < 600 && responseCode !== 503;
    // Only the verb ("RCPT TO", "AUTH PLAIN"): never arguments, which could carry an address.
    const verb = typeof command === "string" ? /^[A-Z]+(?: [A-Z]+)?/.exec(command)?.[0] : undefined;
    const where = verb ? ` to ${verb}` : "";
    return new DeliveryError(`SMTP server answered ${responseCode}${where}`, { retryable: !permanent, cause: error });
  }
  if (typeof code === "string" && PERMANENT_CODES.has(code))
    return new DeliveryError(`SMTP delivery failed (${code})`, { retryable: false, cause: error });
  return new DeliveryError(`SMTP delivery failed (${typeof code === "string" ? code : "connection"})`, { retryable: true, cause: error });
}

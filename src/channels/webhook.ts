import type { IdentifierKind } from "../core/identifiers.js";
import type { Transaction } from "../core/transaction.js";
import type { Channel, DeliverOptions, OtpMessage } from "../contracts/channel.js";
import { checkedEndpointUrl, deliveryRequest, discardBody, responseError } from "./http-delivery.js";
import { createTemplateRenderer, type RenderedMessage, type TemplateOptions } from "./templates.js";
import { WEBHOOK_SIGNATURE_HEADER, signWebhookPayload } from "./webhook-signature.js";

export {
  DEFAULT_WEBHOOK_TOLERANCE_SECONDS,
  WEBHOOK_SIGNATURE_HEADER,
  signWebhookPayload,
  verifyWebhookSignature,
} from "./webhook-signature.js";

/** Options of `webhookChannel`: where to POST, the signing secret, and retries. */
export interface WebhookChannelOptions {
  /** Where to POST. https, or http to a loopback host (or anywhere with `allowInsecureHttp`). */
  url: string;
  /**
   * HMAC-SHA256 key(s), at least 16 characters each. With a list, every secret signs (one `v1=`
   * each), so receivers can rotate: add the new secret here, switch the receiver, drop the old.
   */
  secret: string | readonly string[];
  /** Channel name. Default "webhook". */
  name?: string;
  /** Which identifiers it takes. Default "any". */
  accepts?: IdentifierKind | "any";
  /** Extra request headers, e.g. an Authorization for the receiver. */
  headers?: Record<string, string>;
  /** Adds `rendered` (subject, text, html, sms in the negotiated locale) to the payload. */
  render?: TemplateOptions;
  /** Permit plain http to a non-loopback host. The payload holds the code: default false. */
  allowInsecureHttp?: boolean;
  /** Clock for the signature timestamp. Default Date.now. */
  now?: () => number;
}

/** What the receiver gets, as JSON. */
export interface WebhookPayload {
  /** The verification id. */
  id: string;
  /** The recipient, normalised. */
  to: string;
  /** The one-time code. */
  code: string;
  /** The purpose of the verification. */
  purpose: string;
  /** The message's locale, or null. */
  locale: string | null;
  /** ISO 8601. */
  expiresAt: string;
  /** The verification's metadata, or null. */
  metadata: Record<string, unknown> | null;
  /** `lockout` for a notice that carries no code (`code` is then empty): tell the recipient their codes were locked. */
  notice?: "lockout";
  /** The payment the code confirms, when it is bound to one: the message must show its amount and payee. */
  transaction?: Transaction;
  /** The message rendered (subject, text, html, sms), when the channel has `render`. */
  rendered?: RenderedMessage;
}

/** Exported so the service checks OTP_WEBHOOK_SECRET by the same rule. */
export const MIN_WEBHOOK_SECRET_CHARS = 16;
const MAX_LOCALE_CHARS = 256;

/**
 * Delivers by POSTing the code as signed JSON to your endpoint, which sends it however it likes.
 * 2xx is delivered; 4xx (but 408 and 429) is permanent; 5xx, 408, 429 and network failures are
 * retryable. Redirects are not followed: a moved endpoint is a configuration error.
 */
export function webhookChannel(options: WebhookChannelOptions): Channel {
  if (typeof options !== "object" || options === null) throw new TypeError("otp-actions: webhookChannel needs an options object");
  const url = checkedUrl(options.url, options.allowInsecureHttp === true);
  const secrets = typeof options.secret === "string" ? [options.secret] : options.secret;
  if (
    !Array.isArray(secrets) ||
    secrets.length === 0 ||
    !secrets.every((secret) => typeof secret === "string" && secret.length >= MIN_WEBHOOK_SECRET_CHARS)
  ) {
    throw new TypeError(
      `otp-actions: webhookChannel \`secret\` must be a string (or list) of at least ${MIN_WEBHOOK_SECRET_CHARS} characters`,
    );
  }
  if (options.accepts !== undefined && !["email", "phone", "any"].includes(options.accepts))
    throw new TypeError("otp-actions: webhookChannel `accepts` must be email, phone or any");
  const render = options.render ? createTemplateRenderer(options.render) : undefined;
  const now = options.now ?? Date.now;
  const extraHeaders = { ...options.headers };

  return {
    name: options.name ?? "webhook",
    accepts: options.accepts ?? "any",
    async deliver(message: OtpMessage, deliverOptions: DeliverOptions): Promise<void> {
      const payload: WebhookPayload = {
        id: message.id,
        to: message.to,
        code: message.code,
        purpose: message.purpose,
        // As the caller gave it (a tag or an Accept-Language value), unless absurdly long.
        locale: typeof message.locale === "string" && message.locale.length <= MAX_LOCALE_CHARS ? message.locale : null,
        expiresAt: message.codeExpiresAt.toISOString(),
        metadata: message.metadata ?? null,
        ...(message.transaction && { transaction: message.transaction }),
        ...(message.notice && { notice: message.notice }),
        ...(render && { rendered: render(message) }),
      };
      const body = JSON.stringify(payload);
      const response = await deliveryRequest("webhook", url, {
        method: "POST",
        headers: {
          ...extraHeaders,
          "Content-Type": "application/json",
          // Retries of one delivery carry the same key, so a receiver can send only once.
          "Idempotency-Key": message.id,
          [WEBHOOK_SIGNATURE_HEADER]: signWebhookPayload(secrets, body, now() / 1000),
        },
        body,
        signal: deliverOptions.signal,
      });
      // The body is not needed; release the connection either way.
      await discardBody(response);
      if (response.status >= 200 && response.status < 300) return;
      throw responseError("webhook", response.status);
    },
  };
}

function checkedUrl(value: unknown, allowInsecureHttp: boolean): URL {
  return checkedEndpointUrl(value, "webhookChannel `url`", {
    allowInsecureHttp,
    credentialsNote: "; the signature authenticates each request",
  });
}

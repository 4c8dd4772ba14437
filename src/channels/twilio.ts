import { DeliveryError, type Channel, type DeliverOptions, type OtpMessage } from "../contracts/channel.js";
import { checkedEndpointUrl, deliveryRequest, discardBody, isRetryableStatus } from "./http-delivery.js";
import { createTemplateRenderer, type TemplateOptions } from "./templates.js";

/** Options of `twilioSmsChannel`: credentials, the sender, and the templates. */
export interface TwilioSmsChannelOptions extends TemplateOptions {
  /** `AC…`. */
  accountSid: string;
  /** The account's auth token. Exactly one of `authToken` and `apiKey`. */
  authToken?: string;
  /** An API key (`SK…`) and its secret, instead of the auth token. */
  apiKey?: {
    /** The key id (`SK…`). */
    sid: string;
    /** The key secret. */
    secret: string;
  };
  /** Sender: an E.164 number or an alphanumeric sender id. Exactly one of `from` and `messagingServiceSid`. */
  from?: string;
  /** `MG…`: lets Twilio pick the sender from a pool. */
  messagingServiceSid?: string;
  /** Default `https://api.twilio.com`. http is accepted only for a loopback host (tests, proxies). */
  baseUrl?: string;
  /** URL Twilio calls with delivery status updates. */
  statusCallback?: string;
  /** Channel name. Default "sms". */
  name?: string;
}

/** Twilio errors worth naming in the DeliveryError message (https://www.twilio.com/docs/api/errors). */
const KNOWN_ERRORS: Readonly<Record<number, string>> = {
  20003: "authentication failed",
  20404: "account or resource not found",
  20429: "too many requests",
  21211: "invalid 'To' number",
  21408: "sending to this region is not enabled",
  21606: "'From' number cannot send SMS",
  21608: "trial account: 'To' number is not verified",
  21610: "recipient unsubscribed (STOP)",
  21612: "'To' number cannot be reached from this sender",
  21614: "'To' number is not a mobile number",
  21617: "message body too long",
  21611: "sender queue is full",
};

/** An Account SID: `AC` and 32 characters. Exported so the service checks its configuration by the same rule. */
export function isTwilioAccountSid(value: string): boolean {
  return /^AC[0-9a-zA-Z]{32}$/.test(value);
}

/** A Messaging Service SID: `MG` and 32 characters. */
export function isTwilioMessagingServiceSid(value: string): boolean {
  return /^MG[0-9a-zA-Z]{32}$/.test(value);
}

// Refusals Twilio answers with a 4xx that clear up by themselves.
const RETRYABLE_ERRORS = new Set([20429, 21611, 14107]);

/** The failure Twilio reported: HTTP status and Twilio error code. Never the number or the text. */
export interface TwilioFailure {
  /** The HTTP status Twilio answered. */
  status: number;
  /** Twilio's error code. */
  code?: number;
  /** Twilio's link to the error's documentation. */
  moreInfo?: string;
}

/**
 * SMS through Twilio's Messages API, over fetch (no SDK). A number Twilio refuses (invalid,
 * unsubscribed, not mobile) or refused credentials are permanent; 429, 5xx and network failures
 * are retryable.
 */
export function twilioSmsChannel(options: TwilioSmsChannelOptions): Channel {
  if (typeof options !== "object" || options === null) throw new TypeError("otp-actions: twilioSmsChannel needs an options object");
  const { accountSid, authToken, apiKey, from, messagingServiceSid, statusCallback } = options;
  if (typeof accountSid !== "string" || !isTwilioAccountSid(accountSid))
    throw new TypeError("otp-actions: twilioSmsChannel `accountSid` must look like AC followed by 32 characters");
  if ((authToken === undefined) === (apiKey === undefined))
    throw new TypeError("otp-actions: twilioSmsChannel needs exactly one of `authToken` and `apiKey`");
  if (authToken !== undefined && (typeof authToken !== "string" || authToken === ""))
    throw new TypeError("otp-actions: twilioSmsChannel `authToken` must be a string");
  if (
    apiKey !== undefined &&
    (typeof apiKey?.sid !== "string" || !apiKey.sid.startsWith("SK") || typeof apiKey.secret !== "string" || apiKey.secret === "")
  ) {
    throw new TypeError("otp-actions: twilioSmsChannel `apiKey` must be { sid: 'SK…', secret }");
  }
  if ((from === undefined) === (messagingServiceSid === undefined))
    throw new TypeError("otp-actions: twilioSmsChannel needs exactly one of `from` and `messagingServiceSid`");
  if (from !== undefined && (typeof from !== "string" || from.trim() === ""))
    throw new TypeError("otp-actions: twilioSmsChannel `from` must be a number or sender id");
  if (messagingServiceSid !== undefined && (typeof messagingServiceSid !== "string" || !isTwilioMessagingServiceSid(messagingServiceSid))) {
    throw new TypeError("otp-actions: twilioSmsChannel `messagingServiceSid` must look like MG followed by 32 characters");
  }
  if (statusCallback !== undefined && !/^https?:\/\/[^\s]+$/.test(String(statusCallback)))
    throw new TypeError("otp-actions: twilioSmsChannel `statusCallback` must be an http(s) URL");
  const baseUrl = checkedBaseUrl(options.baseUrl ?? "https://api.twilio.com");
  const render = createTemplateRenderer(options);
  const authorization = `Basic ${Buffer.from(apiKey ? `${apiKey.sid}:${apiKey.secret}` : `${accountSid}:${authToken}`).toString("base64")}`;
  const headers = { Authorization: authorization, Accept: "application/json" };
  const accountUrl = `${baseUrl}/2010-04-01/Accounts/${accountSid}`;

  return {
    name: options.name ?? "sms",
    accepts: "phone",
    async deliver(message: OtpMessage, deliverOptions: DeliverOptions): Promise<void> {
      const form = new URLSearchParams({ To: message.to, Body: render(message).sms });
      if (from !== undefined) form.set("From", from);
      else form.set("MessagingServiceSid", messagingServiceSid!);
      if (statusCallback !== undefined) form.set("StatusCallback", statusCallback);
      const response = await deliveryRequest("Twilio", `${accountUrl}/Messages.json`, {
        method: "POST",
        headers,
        body: form,
        signal: deliverOptions.signal,
      });
      if (!response.ok) throw await twilioError(response);
      await discardBody(response);
    },
    async health(): Promise<void> {
      // Fetching the account checks the credentials without sending anything.
      const response = await deliveryRequest("Twilio", `${accountUrl}.json`, {
        method: "GET",
        headers,
        signal: AbortSignal.timeout(10_000),
      });
      if (!response.ok) throw await twilioError(response);
      await discardBody(response);
    },
  };
}

async function twilioError(response: Response): Promise<DeliveryError> {
  const failure: TwilioFailure = { status: response.status };
  try {
    const body = (await response.json()) as { code?: unknown; more_info?: unknown };
    if (typeof body?.code === "number") failure.code = body.code;
    if (typeof body?.more_info === "string") failure.moreInfo = body.more_info;
  } catch {
    // Not JSON (a proxy's error page): the status alone decides.
  }
  const retryable = isRetryableStatus(response.status) || (failure.code !== undefined && RETRYABLE_ERRORS.has(failure.code));
  const known = failure.code === undefined ? undefined : KNOWN_ERRORS[failure.code];
  const detail = failure.code === undefined ? "" : `, error ${failure.code}${known ? ` (${known})` : ""}`;
  // Twilio's own message quotes the phone number, so only the status and code are kept.
  return new DeliveryError(`Twilio answered HTTP ${response.status}${detail}`, { retryable, cause: failure });
}

function checkedBaseUrl(value: unknown): string {
  return checkedEndpointUrl(value, "twilioSmsChannel `baseUrl`").href.replace(/\/+$/, "");
}

export { createOtp } from "./engine/create-otp.js";
export type {
  Otp,
  GenerateInput,
  StartInput,
  ResendInput,
  VerifyInput,
  RevokeOptions,
  CancelOptions,
  UnlockInput,
  Unlocked,
  Generated,
  Issued,
  Verified,
  Metadata,
  VerificationState,
  VerificationStatus,
} from "./engine/types.js";
export type {
  OtpOptions,
  EnginePolicy,
  PurposePolicy,
  CodePolicy,
  DeliveryOptions,
  Clock,
  ShouldSendRequest,
  ResolvedPolicy,
  LockoutNoticeOptions,
} from "./engine/options.js";
export { DEFAULT_POLICY } from "./engine/options.js";
export { OtpError, ERRORS, isOtpError } from "./core/errors.js";
export type { ErrorCode, ErrorSpec, OtpErrorBody, OtpErrorDetails } from "./core/errors.js";
export { generateKey, parseKeys, Keyring } from "./core/keyring.js";
export type { KeyEntry } from "./core/keyring.js";
export { normalizeIdentifier, maskIdentifier } from "./core/identifiers.js";
export type { IdentifierKind, NormalizedIdentifier, NormalizeOptions } from "./core/identifiers.js";
export { MAX_CONTEXT_CHARS, MAX_METADATA_BYTES } from "./core/limits.js";
export { canonicalTransaction, MAX_PAYEE_CHARS } from "./core/transaction.js";
export type { Transaction } from "./core/transaction.js";
export { DeliveryError } from "./contracts/channel.js";
export type { Channel, OtpMessage, DeliverOptions } from "./contracts/channel.js";
export { consoleChannel } from "./channels/console.js";
export type { ConsoleChannelOptions } from "./channels/console.js";
export type {
  LedgerStore,
  SynchronousLedger,
  LedgerRevokeOptions,
  LedgerCallOptions,
  RecordOutcome,
  RecordResult,
  RevokeResult,
  LedgerState,
  LedgerEntry,
  AdvanceResult,
} from "./contracts/ledger.js";
export type {
  Totp,
  TotpEnrolInput,
  TotpEnrolment,
  TotpCheckInput,
  TotpFactorInput,
  TotpConfirmed,
  TotpVerified,
  TotpRecoveryCodes,
} from "./engine/totp/types.js";
export { TOTP_ALGORITHMS, TOTP_DIGITS } from "./core/totp.js";
export type { TotpAlgorithm, TotpDigits } from "./core/totp.js";
export { StoreTimeoutError } from "./core/util/with-timeout.js";
export type {
  Guard,
  SendAttempt,
  SendReservation,
  CheckAttempt,
  UnlockRequest,
  LedgerCheck,
  LedgerOpen,
  GuardedCheck,
  RefusedCheck,
  NoticeClaim,
  GuardTiming,
  DeliveryMedium,
  LockoutNotice,
} from "./contracts/guard.js";
export { EVENT_TYPES, DIAGNOSTICS_CHANNEL_PREFIX } from "./contracts/events.js";
export type { OtpEvent, OtpEventType, OtpEventListener, ClientInfo } from "./contracts/events.js";
export {
  createTemplateRenderer,
  renderMessage,
  negotiateLocale,
  smsSegments,
  escapeHtml,
  BUILT_IN_LOCALES,
  PURPOSE_KINDS,
} from "./channels/templates.js";
export type {
  RenderedMessage,
  TemplateOptions,
  TemplateOverride,
  TemplateStrings,
  TemplateContext,
  TemplateRenderer,
  LocaleStrings,
  KindStrings,
  PurposeKind,
  SmsSegments,
  TransactionStrings,
  LockoutStrings,
} from "./channels/templates.js";
export {
  webhookChannel,
  signWebhookPayload,
  verifyWebhookSignature,
  WEBHOOK_SIGNATURE_HEADER,
  DEFAULT_WEBHOOK_TOLERANCE_SECONDS,
} from "./channels/webhook.js";
export type { WebhookChannelOptions, WebhookPayload } from "./channels/webhook.js";
export { twilioSmsChannel } from "./channels/twilio.js";
export type { TwilioSmsChannelOptions, TwilioFailure } from "./channels/twilio.js";
export { createMetrics, PROMETHEUS_CONTENT_TYPE } from "./telemetry/metrics.js";
export type { OtpMetrics, MetricsOptions, OtpEventSource } from "./telemetry/metrics.js";
export { attachLogger } from "./telemetry/logging.js";
export type { OtpLogger, LogLevel, LoggerOptions } from "./telemetry/logging.js";
export {
  createGuard,
  clientIpFrom,
  LIMITS,
  DEFAULT_LIMITS,
  countersFor,
  memoryCounters,
  sqliteCounters,
  postgresCounters,
  redisCounters,
} from "./guard/index.js";
export type {
  AbuseGuard,
  GuardOptions,
  LimitSettings,
  LimitWindow,
  LockoutSettings,
  PrefixVelocitySettings,
  ClientIpInput,
  TrustProxy,
  CounterStore,
  CounterStep,
  CounterOp,
  StepResult,
  TakeOp,
  LockOp,
  UnlockOp,
  ForgetOp,
  GiveBackOp,
  LedgerPart,
  LockSpec,
  OpResult,
  ResolvedLimits,
  MemoryCounters,
  SqliteCounters,
  SqliteCountersOptions,
  PostgresCounters,
  PostgresCountersOptions,
  RedisCounters,
  RedisCountersOptions,
} from "./guard/index.js";

/**
 * Development delivery: each message is printed to stdout and kept in a small in-memory outbox
 * that /dev/outbox and the demo page show. Codes appear here by design; production never builds it.
 */
import type { IdentifierKind } from "../core/identifiers.js";
import type { Channel, DeliverOptions, OtpMessage } from "../contracts/channel.js";

export interface OutboxEntry {
  id: string;
  channel: string;
  to: string;
  code: string;
  purpose: string;
  sentAt: string;
  expiresAt: string;
}

export class Outbox {
  readonly #entries: OutboxEntry[] = [];
  readonly #capacity: number;

  constructor(capacity = 50) {
    this.#capacity = capacity;
  }

  add(entry: OutboxEntry): void {
    this.#entries.unshift(entry);
    if (this.#entries.length > this.#capacity) this.#entries.length = this.#capacity;
  }

  /** Newest first. */
  list(): OutboxEntry[] {
    return [...this.#entries];
  }
}

export interface OutboxChannelOptions {
  name: string;
  accepts: IdentifierKind | "any";
  outbox: Outbox;
  /** Where the console line goes; stdout by default. */
  write?: (line: string) => void;
}

function outboxChannel(options: OutboxChannelOptions): Channel {
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  return {
    name: options.name,
    accepts: options.accepts,
    async deliver(message: OtpMessage, _options: DeliverOptions): Promise<void> {
      // A lockout notice has no code: the outbox shows codes only.
      if (message.notice === "lockout") return write(`[otp-actions ${options.name}] ${message.purpose} lockout notice for ${message.to}`);
      options.outbox.add({
        id: message.id,
        channel: options.name,
        to: message.to,
        code: message.code,
        purpose: message.purpose,
        sentAt: new Date().toISOString(),
        expiresAt: message.codeExpiresAt.toISOString(),
      });
      write(
        `[otp-actions ${options.name}] ${message.purpose} code for ${message.to}: ${message.code} (expires ${message.codeExpiresAt.toISOString()})`,
      );
    },
  };
}

/** The development channels: "email", "sms" and "console", all printing and keeping messages. */
export function developmentChannels(outbox: Outbox, write?: (line: string) => void): Channel[] {
  return [
    outboxChannel({ name: "email", accepts: "email", outbox, ...(write && { write }) }),
    outboxChannel({ name: "sms", accepts: "phone", outbox, ...(write && { write }) }),
    outboxChannel({ name: "console", accepts: "any", outbox, ...(write && { write }) }),
  ];
}

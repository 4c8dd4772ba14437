import type { Channel, DeliverOptions, OtpMessage } from "../contracts/channel.js";

/** Options of `consoleChannel`. */
export interface ConsoleChannelOptions {
  /** Channel name; "console" by default. */
  name?: string;
  /** Where lines go; stdout by default. */
  write?: (line: string) => void;
}

/**
 * Development delivery: prints each message, code included, to stdout. Never use it in
 * production; the service refuses it there.
 */
export function consoleChannel(options: ConsoleChannelOptions = {}): Channel {
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  return {
    name: options.name ?? "console",
    accepts: "any",
    async deliver(message: OtpMessage, _options: DeliverOptions): Promise<void> {
      if (message.notice === "lockout") write(`[otp-actions] ${message.purpose} lockout notice for ${message.to}`);
      else
        write(`[otp-actions] ${message.purpose} code for ${message.to}: ${message.code} (expires ${message.codeExpiresAt.toISOString()})`);
    },
  };
}

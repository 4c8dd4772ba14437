/**
 * The configured production channels. Drivers load only for the channels configured, so a service
 * without email never needs nodemailer.
 */
import type { Channel } from "../contracts/channel.js";
import type { ChannelConfig } from "./channel-config.js";

export async function channelsFromConfig(config: ChannelConfig): Promise<Channel[]> {
  const templates = {
    ...(config.appName !== undefined && { appName: config.appName }),
    ...(config.webOtpDomain !== undefined && { webOtpDomain: config.webOtpDomain }),
  };
  const channels: Channel[] = [];
  if (config.smtp) {
    const { smtpChannel } = await import("../channels/smtp.js");
    channels.push(smtpChannel({ url: config.smtp.url, from: config.smtp.from, ...templates }));
  }
  if (config.twilio) {
    const { twilioSmsChannel } = await import("../channels/twilio.js");
    channels.push(twilioSmsChannel({ ...config.twilio, ...templates }));
  }
  if (config.webhook) {
    const { webhookChannel } = await import("../channels/webhook.js");
    channels.push(webhookChannel({ url: config.webhook.url, secret: config.webhook.secret, render: templates }));
  }
  return channels;
}

import type { LocaleStrings } from "./types.js";

export const en: LocaleStrings = {
  kinds: {
    generic: {
      subject: "Your {appName} verification code",
      lead: "Use this code to confirm it's you.",
      sms: "{code} is your {appName} code. It expires in {minutes} min.",
    },
    login: {
      subject: "Your {appName} sign-in code",
      lead: "Use this code to sign in to {appName}.",
      sms: "{code} is your {appName} sign-in code. It expires in {minutes} min.",
    },
    signup: {
      subject: "Confirm your {appName} account",
      lead: "Use this code to finish creating your {appName} account.",
      sms: "{code} is your {appName} sign-up code. It expires in {minutes} min.",
    },
    password_reset: {
      subject: "Reset your {appName} password",
      lead: "Use this code to reset your {appName} password.",
      sms: "{code} is your {appName} password reset code. It expires in {minutes} min.",
    },
    change_email: {
      subject: "Confirm your new email address",
      lead: "Use this code to confirm this email address for your {appName} account.",
      sms: "{code} is your {appName} code to confirm your email address. It expires in {minutes} min.",
    },
    change_phone: {
      subject: "Confirm your new phone number",
      lead: "Use this code to confirm this phone number for your {appName} account.",
      sms: "{code} is your {appName} code to confirm this phone number. It expires in {minutes} min.",
    },
    payment: {
      subject: "Confirm your {appName} payment",
      lead: "Use this code to confirm your payment. Never share it: {appName} will never ask you for it.",
      sms: "{code} is your {appName} code to confirm a payment. Never share it. Expires in {minutes} min.",
    },
    two_factor: {
      subject: "Your {appName} security code",
      lead: "Use this code to finish signing in to {appName}.",
      sms: "{code} is your {appName} security code. It expires in {minutes} min.",
    },
  },
  codeLabel: "Your code:",
  expires: { one: "It expires in {minutes} minute.", other: "It expires in {minutes} minutes." },
  ignore: "If you did not ask for this code, you can ignore this message. Never share it with anyone.",
  transaction: {
    lead: "You are confirming a payment of {amount} to {payee}. Use this code only if you recognise it.",
    sms: "{code} is your {appName} code to pay {amount} to {payee}. Never share it.",
  },
  lockout: {
    subject: "Failed attempts to use your {appName} codes",
    text: "Someone tried to use a code for your {appName} account and failed several times, so its codes are blocked for a while. If it was you, wait and ask for a new code. If not, someone may know your password: change it, and never share a code with anyone.",
    sms: "{appName}: someone tried to use a code for your account and failed several times. If it was not you, change your password. Never share a code.",
  },
};

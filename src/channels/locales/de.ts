import type { LocaleStrings } from "./types.js";

export const de: LocaleStrings = {
  kinds: {
    generic: {
      subject: "Ihr {appName}-Bestätigungscode",
      lead: "Mit diesem Code bestätigen Sie, dass Sie es sind.",
      sms: "Ihr {appName}-Code: {code}. Gültig für {minutes} Min.",
    },
    login: {
      subject: "Ihr {appName}-Anmeldecode",
      lead: "Mit diesem Code melden Sie sich bei {appName} an.",
      sms: "Ihr {appName}-Anmeldecode: {code}. Gültig für {minutes} Min.",
    },
    signup: {
      subject: "Bestätigen Sie Ihr {appName}-Konto",
      lead: "Mit diesem Code schließen Sie die Erstellung Ihres {appName}-Kontos ab.",
      sms: "Ihr Code zur Kontoerstellung bei {appName}: {code}. Gültig für {minutes} Min.",
    },
    password_reset: {
      subject: "Setzen Sie Ihr {appName}-Passwort zurück",
      lead: "Mit diesem Code setzen Sie Ihr {appName}-Passwort zurück.",
      sms: "Ihr Code zum Zurücksetzen des {appName}-Passworts: {code}. Gültig für {minutes} Min.",
    },
    change_email: {
      subject: "Bestätigen Sie Ihre neue E-Mail-Adresse",
      lead: "Mit diesem Code bestätigen Sie diese E-Mail-Adresse für Ihr {appName}-Konto.",
      sms: "Ihr {appName}-Code zur Bestätigung Ihrer E-Mail-Adresse: {code}. Gültig für {minutes} Min.",
    },
    change_phone: {
      subject: "Bestätigen Sie Ihre neue Telefonnummer",
      lead: "Mit diesem Code bestätigen Sie diese Telefonnummer für Ihr {appName}-Konto.",
      sms: "Ihr {appName}-Code zur Bestätigung dieser Nummer: {code}. Gültig für {minutes} Min.",
    },
    payment: {
      subject: "Bestätigen Sie Ihre Zahlung bei {appName}",
      lead: "Mit diesem Code bestätigen Sie Ihre Zahlung. Geben Sie ihn nicht weiter: {appName} wird Sie nie danach fragen.",
      sms: "Ihr {appName}-Code zur Zahlungsbestätigung: {code}. Nicht weitergeben. Gültig für {minutes} Min.",
    },
    two_factor: {
      subject: "Ihr {appName}-Sicherheitscode",
      lead: "Mit diesem Code schließen Sie die Anmeldung bei {appName} ab.",
      sms: "Ihr {appName}-Sicherheitscode: {code}. Gültig für {minutes} Min.",
    },
  },
  codeLabel: "Ihr Code:",
  expires: { one: "Er ist {minutes} Minute gültig.", other: "Er ist {minutes} Minuten gültig." },
  ignore: "Wenn Sie diesen Code nicht angefordert haben, ignorieren Sie diese Nachricht. Geben Sie ihn niemandem weiter.",
  transaction: {
    lead: "Sie bestätigen eine Zahlung von {amount} an {payee}. Verwenden Sie diesen Code nur, wenn Sie diese Zahlung kennen.",
    sms: "Ihr {appName}-Code für die Zahlung von {amount} an {payee}: {code}. Nicht weitergeben.",
  },
  lockout: {
    subject: "Fehlgeschlagene Versuche mit Ihren {appName}-Codes",
    text: "Jemand hat mehrmals erfolglos versucht, einen Code für Ihr {appName}-Konto zu verwenden; die Codes sind vorübergehend gesperrt. Wenn Sie das waren, warten Sie und fordern Sie einen neuen Code an. Wenn nicht, kennt womöglich jemand Ihr Passwort: Ändern Sie es, und geben Sie niemals einen Code weiter.",
    sms: "{appName}: Jemand hat mehrmals erfolglos versucht, einen Code für Ihr Konto zu verwenden. Waren Sie es nicht, ändern Sie Ihr Passwort. Codes nie weitergeben.",
  },
};

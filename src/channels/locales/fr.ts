import type { LocaleStrings } from "./types.js";

// SMS texts avoid characters outside GSM-7 (é and à are in it; ç and ê are not) to stay one segment.
export const fr: LocaleStrings = {
  kinds: {
    generic: {
      subject: "Votre code de vérification {appName}",
      lead: "Utilisez ce code pour confirmer votre identité.",
      sms: "{code} est votre code {appName}. Il expire dans {minutes} min.",
    },
    login: {
      subject: "Votre code de connexion {appName}",
      lead: "Utilisez ce code pour vous connecter à {appName}.",
      sms: "{code} est votre code de connexion {appName}. Il expire dans {minutes} min.",
    },
    signup: {
      subject: "Confirmez votre compte {appName}",
      lead: "Utilisez ce code pour finir de créer votre compte {appName}.",
      sms: "{code} est votre code d'inscription {appName}. Il expire dans {minutes} min.",
    },
    password_reset: {
      subject: "Réinitialisez votre mot de passe {appName}",
      lead: "Utilisez ce code pour réinitialiser votre mot de passe {appName}.",
      sms: "{code} est votre code pour réinitialiser votre mot de passe {appName}. Il expire dans {minutes} min.",
    },
    change_email: {
      subject: "Confirmez votre nouvelle adresse e-mail",
      lead: "Utilisez ce code pour confirmer cette adresse e-mail pour votre compte {appName}.",
      sms: "{code} est votre code {appName} pour confirmer votre adresse e-mail. Il expire dans {minutes} min.",
    },
    change_phone: {
      subject: "Confirmez votre nouveau numéro de téléphone",
      lead: "Utilisez ce code pour confirmer ce numéro pour votre compte {appName}.",
      sms: "{code} est votre code {appName} pour confirmer ce numéro. Il expire dans {minutes} min.",
    },
    payment: {
      subject: "Confirmez votre paiement {appName}",
      lead: "Utilisez ce code pour confirmer votre paiement. Ne le communiquez à personne : {appName} ne vous le demandera jamais.",
      sms: "{code} est votre code {appName} pour confirmer un paiement. Ne le communiquez pas. Expire dans {minutes} min.",
    },
    two_factor: {
      subject: "Votre code de sécurité {appName}",
      lead: "Utilisez ce code pour terminer votre connexion à {appName}.",
      sms: "{code} est votre code de sécurité {appName}. Il expire dans {minutes} min.",
    },
  },
  codeLabel: "Votre code :",
  expires: { one: "Il expire dans {minutes} minute.", other: "Il expire dans {minutes} minutes." },
  ignore: "Si vous n'avez pas demandé ce code, ignorez ce message. Ne le communiquez à personne.",
  transaction: {
    lead: "Vous confirmez un paiement de {amount} à {payee}. N'utilisez ce code que si vous reconnaissez ce paiement.",
    sms: "{code} est votre code {appName} pour payer {amount} à {payee}. Ne le communiquez pas.",
  },
  lockout: {
    subject: "Tentatives échouées avec vos codes {appName}",
    text: "Quelqu'un a essayé plusieurs fois sans succès d'utiliser un code pour votre compte {appName} ; ses codes sont bloqués pour un moment. Si c'était vous, patientez puis demandez un nouveau code. Sinon, quelqu'un connaît peut-être votre mot de passe : changez-le, et ne communiquez jamais un code.",
    sms: "{appName} : quelqu'un a essayé plusieurs fois sans succès d'utiliser un code pour votre compte. Si ce n'était pas vous, changez votre mot de passe.",
  },
};

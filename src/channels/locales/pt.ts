import type { LocaleStrings } from "./types.js";

// SMS texts are built around "use {code} para …" so they avoid ó, ã and ç, which are outside
// GSM-7 and would halve the segment size.
export const pt: LocaleStrings = {
  kinds: {
    generic: {
      subject: "O seu código de verificação {appName}",
      lead: "Use este código para confirmar que é você.",
      sms: "{appName}: use {code} para confirmar. Expira em {minutes} min.",
    },
    login: {
      subject: "O seu código de acesso {appName}",
      lead: "Use este código para entrar no {appName}.",
      sms: "{appName}: use {code} para entrar. Expira em {minutes} min.",
    },
    signup: {
      subject: "Confirme a sua conta {appName}",
      lead: "Use este código para concluir a criação da sua conta {appName}.",
      sms: "{appName}: use {code} para criar a sua conta. Expira em {minutes} min.",
    },
    password_reset: {
      subject: "Redefina a sua senha {appName}",
      lead: "Use este código para redefinir a sua senha {appName}.",
      sms: "{appName}: use {code} para redefinir a sua senha. Expira em {minutes} min.",
    },
    change_email: {
      subject: "Confirme o seu novo endereço de e-mail",
      lead: "Use este código para confirmar este endereço de e-mail na sua conta {appName}.",
      sms: "{appName}: use {code} para confirmar o seu e-mail. Expira em {minutes} min.",
    },
    change_phone: {
      subject: "Confirme o seu novo número de telefone",
      lead: "Use este código para confirmar este número na sua conta {appName}.",
      sms: "{appName}: use {code} para confirmar este telefone. Expira em {minutes} min.",
    },
    payment: {
      subject: "Confirme o seu pagamento {appName}",
      lead: "Use este código para confirmar o seu pagamento. Não o partilhe: {appName} nunca o pedirá.",
      sms: "{appName}: use {code} para confirmar um pagamento. Nunca o partilhe. Expira em {minutes} min.",
    },
    two_factor: {
      subject: "O seu código de segurança {appName}",
      lead: "Use este código para concluir o acesso ao {appName}.",
      sms: "{appName}: use {code} para concluir o acesso. Expira em {minutes} min.",
    },
  },
  codeLabel: "O seu código:",
  expires: { one: "Expira em {minutes} minuto.", other: "Expira em {minutes} minutos." },
  ignore: "Se não pediu este código, ignore esta mensagem. Não o partilhe com ninguém.",
  transaction: {
    lead: "Está a confirmar um pagamento de {amount} a {payee}. Use este código apenas se reconhecer este pagamento.",
    sms: "{appName}: use {code} para pagar {amount} a {payee}. Nunca o partilhe.",
  },
  lockout: {
    subject: "Tentativas falhadas com os seus códigos {appName}",
    text: "Alguém tentou várias vezes, sem sucesso, usar um código da sua conta {appName}; os códigos estão bloqueados durante algum tempo. Se foi você, aguarde e peça um novo código. Se não, alguém pode saber a sua palavra-passe: altere-a e nunca partilhe um código.",
    sms: "{appName}: alguém tentou várias vezes, sem sucesso, usar um código da sua conta. Se não foi você, altere a sua palavra-passe. Nunca partilhe um código.",
  },
};

import type { LocaleStrings } from "./types.js";

// SMS texts say "clave" rather than "código": ó is outside GSM-7 and would halve the segment size.
export const es: LocaleStrings = {
  kinds: {
    generic: {
      subject: "Tu código de verificación de {appName}",
      lead: "Usa este código para confirmar que eres tú.",
      sms: "Tu clave de {appName} es {code}. Caduca en {minutes} min.",
    },
    login: {
      subject: "Tu código para entrar en {appName}",
      lead: "Usa este código para entrar en {appName}.",
      sms: "Tu clave para entrar en {appName} es {code}. Caduca en {minutes} min.",
    },
    signup: {
      subject: "Confirma tu cuenta de {appName}",
      lead: "Usa este código para terminar de crear tu cuenta de {appName}.",
      sms: "Tu clave para crear tu cuenta de {appName} es {code}. Caduca en {minutes} min.",
    },
    password_reset: {
      subject: "Restablece tu contraseña de {appName}",
      lead: "Usa este código para restablecer tu contraseña de {appName}.",
      sms: "Tu clave para restablecer la contraseña de {appName} es {code}. Caduca en {minutes} min.",
    },
    change_email: {
      subject: "Confirma tu nueva dirección de correo",
      lead: "Usa este código para confirmar esta dirección de correo en tu cuenta de {appName}.",
      sms: "Tu clave de {appName} para confirmar tu correo es {code}. Caduca en {minutes} min.",
    },
    change_phone: {
      subject: "Confirma tu nuevo número de teléfono",
      lead: "Usa este código para confirmar este número en tu cuenta de {appName}.",
      sms: "Tu clave de {appName} para confirmar tu teléfono es {code}. Caduca en {minutes} min.",
    },
    payment: {
      subject: "Confirma tu pago en {appName}",
      lead: "Usa este código para confirmar tu pago. No lo compartas: {appName} nunca te lo pedirá.",
      sms: "Tu clave de {appName} para confirmar un pago es {code}. No la compartas. Caduca en {minutes} min.",
    },
    two_factor: {
      subject: "Tu código de seguridad de {appName}",
      lead: "Usa este código para terminar de entrar en {appName}.",
      sms: "Tu clave de seguridad de {appName} es {code}. Caduca en {minutes} min.",
    },
  },
  codeLabel: "Tu código:",
  expires: { one: "Caduca en {minutes} minuto.", other: "Caduca en {minutes} minutos." },
  ignore: "Si no has pedido este código, ignora este mensaje. No lo compartas con nadie.",
  transaction: {
    lead: "Estás confirmando un pago de {amount} a {payee}. Usa este código solo si reconoces este pago.",
    sms: "Tu clave de {appName} para pagar {amount} a {payee} es {code}. No la compartas.",
  },
  lockout: {
    subject: "Intentos fallidos con tus códigos de {appName}",
    text: "Alguien intentó varias veces sin éxito usar un código de tu cuenta de {appName}; sus códigos están bloqueados por un tiempo. Si fuiste tú, espera y pide un código nuevo. Si no, puede que alguien conozca tu contraseña: cámbiala y no compartas nunca un código.",
    sms: "{appName}: alguien intentó varias veces sin éxito usar un código de tu cuenta. Si no fuiste tú, cambia tu contraseña. No compartas nunca un código.",
  },
};

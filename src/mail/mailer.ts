import nodemailer, { type TransportOptions } from 'nodemailer';
import type { MailConfig } from '../config.js';

/** One email: its plain-text and HTML parts say the same. */
export interface Mail {
  to: string;
  subject: string;
  text: string;
  html: string;
}

export interface Mailer {
  send(mail: Mail): Promise<void>;
  close(): void;
}

/** Waits, so that a mail server that is down or silent fails a send in seconds, not minutes. */
const TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 20_000 };

/**
 * The SMTP sender of SMTP_URL (Nodemailer): `smtp://` upgrades with STARTTLS when the server
 * offers it, `smtps://` is TLS from the first byte; user and password in the URL authenticate.
 * SMTP_CA_FILE adds a certificate authority to trust (a mail server with a private CA). Null
 * without SMTP_URL.
 */
export function createMailer(config: MailConfig): Mailer | null {
  if (config.smtpUrl === null) return null;
  // The URL inside the options (the second argument would be the messages' defaults, not the connection's).
  const transport = nodemailer.createTransport({ url: config.smtpUrl, ...TIMEOUTS, ...(config.ca ? { tls: { ca: config.ca } } : {}) } as TransportOptions, { from: config.from });
  return {
    async send(mail) {
      await transport.sendMail({ to: mail.to, subject: mail.subject, text: mail.text, html: mail.html });
    },
    close: () => transport.close(),
  };
}

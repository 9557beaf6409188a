// A real SMTP server on loopback for the suites that follow mailed links and codes: Python's
// aiosmtpd (Debian's python3-aiosmtpd, which scripts/test installs) storing each message in a
// maildir, and a reader for what it received.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './portcullis.mjs';
import { waitUntil } from './apps.mjs';

/** Decodes a MIME part body by its Content-Transfer-Encoding. */
function decode(headers, body) {
  const encoding = /content-transfer-encoding:\s*([\w-]+)/i.exec(headers)?.[1]?.toLowerCase();
  if (encoding === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (encoding === 'quoted-printable') {
    const bytes = body
      .replace(/=\r?\n/g, '')
      .replace(/=([0-9A-F]{2})/gi, (_, hex) => String.fromCharCode(parseInt(hex, 16)));
    return Buffer.from(bytes, 'latin1').toString('utf8');
  }
  return body;
}

function listening(port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.end();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

/**
 * Starts aiosmtpd on a free port. Returns `{ url, mails(), mailTo(to, marker), stop() }`:
 * `url` is the `PORTCULLIS_SMTP_URL` to give the provider; `mailTo` waits for a mail to `to`
 * whose text contains `marker` and returns its text.
 */
export async function startSmtp() {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'portcullis-e2e-mail-'));
  // Mailbox creates the maildir itself: it must not exist yet.
  const box = path.join(dir, 'box');
  const child = spawn(
    '/usr/bin/python3',
    ['-m', 'aiosmtpd', '-n', '-l', `127.0.0.1:${port}`, '-c', 'aiosmtpd.handlers.Mailbox', box],
    { stdio: 'ignore' },
  );
  await waitUntil(() => listening(port), 'aiosmtpd to listen (apt-get install python3-aiosmtpd)');

  /** Every stored mail as `{ to, subject, text }` (the text/plain part, decoded). */
  function mails() {
    const out = [];
    for (const sub of ['new', 'cur']) {
      const d = path.join(box, sub);
      if (!fs.existsSync(d)) continue;
      for (const name of fs.readdirSync(d)) {
        const raw = fs.readFileSync(path.join(d, name), 'utf8');
        const [head] = raw.split(/\r?\n\r?\n/, 1);
        const to = /^To:\s*(.+)$/im.exec(head)?.[1]?.trim() ?? '';
        const subject = /^Subject:\s*(.+)$/im.exec(head)?.[1]?.trim() ?? '';
        const part = raw.split(/\r?\n--/).find((p) => /content-type:\s*text\/plain/i.test(p)) ?? '';
        const split = part.search(/\r?\n\r?\n/);
        out.push({ to, subject, text: decode(part.slice(0, split), part.slice(split).trim()) });
      }
    }
    return out;
  }

  async function mailTo(to, marker) {
    let found;
    await waitUntil(
      () => (found = mails().find((m) => m.to.includes(to) && m.text.includes(marker))),
      `a mail to ${to} containing ${marker}`,
      { timeout: 30_000 },
    );
    return found.text;
  }

  return {
    url: `smtp://127.0.0.1:${port}`,
    mails,
    mailTo,
    stop() {
      child.kill();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The first http(s) link in `text` whose URL contains `pathPart`. */
export const linkIn = (text, pathPart) =>
  text.split(/\s+/).find((w) => w.startsWith('http') && w.includes(pathPart));

// Mail signed with DKIM as a domain's mail server signs it: a key pair generated in the test, mailauth's
// signer, and a DNS resolver (the one the verifier is given) that publishes each domain's public key at
// <selector>._domainkey.<domain> and knows nothing else, so verification never leaves the process.
import { generateKeyPairSync } from 'node:crypto';
import { dkimSign } from 'mailauth/lib/dkim/sign.js';

export interface DkimDomain {
  domain: string;
  selector: string;
  privateKey: string;
  /** The TXT record: v=DKIM1; k=rsa; p=<base64 of the SPKI DER public key>. */
  record: string;
}

export function dkimDomain(domain: string, selector = 'sel1'): DkimDomain {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const p = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
  return { domain, selector, privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), record: `v=DKIM1; k=rsa; p=${p}` };
}

export function dnsResolver(domains: DkimDomain[]) {
  return async (name: string, rrtype: string): Promise<string[][]> => {
    const d = domains.find((x) => rrtype === 'TXT' && name.toLowerCase() === `${x.selector}._domainkey.${x.domain}`);
    if (d) return [[d.record]];
    throw Object.assign(new Error(`queryTxt ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
  };
}

/** The message with the DKIM-Signature header its domain's server would add in front. */
export async function signMail(raw: string, by: DkimDomain): Promise<Buffer> {
  const key = { signingDomain: by.domain, selector: by.selector, privateKey: by.privateKey };
  const r = await dkimSign(raw, { ...key, canonicalization: 'relaxed/relaxed', signTime: new Date('2026-01-01T00:00:00Z'), signatureData: [key] });
  if (r.errors?.length) throw r.errors[0];
  if (!/^DKIM-Signature:/i.test(r.signatures)) throw new Error(`mailauth made no signature: ${JSON.stringify(r.signatures)}`);
  return Buffer.from(r.signatures + raw);
}

export function commandMail(h: { from: string; to?: string; cc?: string; replyTo?: string; inReplyTo: string; body: string; messageId?: string }): string {
  return [
    `From: ${h.from}`,
    `To: ${h.to ?? 'kbot <kbot@bots.example.org>'}`,
    ...(h.cc ? [`Cc: ${h.cc}`] : []),
    ...(h.replyTo ? [`Reply-To: ${h.replyTo}`] : []),
    'Subject: Re: [PATCH v2 2/3] demo_devmem: keep idle pages at refcount 1',
    'Date: Thu, 01 Jan 2026 00:00:00 +0000',
    `Message-ID: ${h.messageId ?? '<cmd-1@kernel.org>'}`,
    `In-Reply-To: ${h.inReplyTo}`,
    `References: <20240501120000.1000-1-alice@example.org> ${h.inReplyTo}`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    h.body,
    '',
  ].join('\r\n');
}

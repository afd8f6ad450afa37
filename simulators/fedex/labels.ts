import { deflateSync } from 'node:zlib';

export type ImageType = 'PDF' | 'ZPLII' | 'EPL2' | 'PNG';

export interface LabelInput {
  trackingNumber: string;
  serviceType: string;
  recipientName: string;
  recipientCity: string;
  recipientPostalCode: string;
}

export const LABEL_MIME: Record<ImageType, string> = {
  PDF: 'application/pdf',
  ZPLII: 'application/x-zpl',
  EPL2: 'application/x-epl2',
  PNG: 'image/png',
};

/** Keep label text printable ASCII without the characters PDF strings and ZPL fields treat specially. */
function clean(text: string, max = 40): string {
  return text
    .replace(/[^ -~]/g, '?')
    .replace(/[()\\^~]/g, ' ')
    .slice(0, max);
}

/** A one-page PDF of text lines in Helvetica; small, but a PDF reader opens it. */
function pdfPage(
  lines: string[],
  page: { width: number; height: number; fontSize: number; top: number; lead: number; maxChars: number },
): Buffer {
  const text = lines
    .map((l) => clean(l, page.maxChars))
    .map((l, i) => `BT /F1 ${page.fontSize} Tf 20 ${page.top - i * page.lead} Td (${l}) Tj ET`)
    .join('\n');
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 ${page.width} ${page.height}] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>`,
    `<< /Length ${Buffer.byteLength(text)} >>\nstream\n${text}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let out = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(Buffer.byteLength(out));
    out += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = Buffer.byteLength(out);
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  out += offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('');
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

/** A one-page 4x6 PDF with the tracking number. */
function pdf(label: LabelInput): Buffer {
  return pdfPage(
    [
      'FedEx (simulated label)',
      label.serviceType,
      `TRK# ${label.trackingNumber}`,
      label.recipientName,
      `${label.recipientCity} ${label.recipientPostalCode}`,
    ],
    { width: 288, height: 432, fontSize: 14, top: 400, lead: 30, maxChars: 40 },
  );
}

function zpl(label: LabelInput): Buffer {
  return Buffer.from(
    [
      '^XA',
      '^CF0,40',
      `^FO30,30^FDFedEx ${clean(label.serviceType)}^FS`,
      `^FO30,100^FD${clean(label.recipientName)}^FS`,
      `^FO30,150^FD${clean(label.recipientCity)} ${clean(label.recipientPostalCode)}^FS`,
      `^FO30,250^BY3^BCN,150,Y,N,N^FD${label.trackingNumber}^FS`,
      `^FO30,450^FDTRK# ${label.trackingNumber}^FS`,
      '^XZ',
      '',
    ].join('\n'),
    'ascii',
  );
}

function epl2(label: LabelInput): Buffer {
  return Buffer.from(
    [
      'N',
      `A30,30,0,4,1,1,N,"FedEx ${clean(label.serviceType).replace(/"/g, '')}"`,
      `A30,90,0,4,1,1,N,"${clean(label.recipientName).replace(/"/g, '')}"`,
      `B30,160,0,1,3,6,150,B,"${label.trackingNumber}"`,
      'P1',
      '',
    ].join('\n'),
    'ascii',
  );
}

function crc32(buf: Buffer): number {
  let crc = ~0;
  for (const byte of buf) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return ~crc >>> 0;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const typed = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typed));
  return Buffer.concat([len, typed, crc]);
}

/** A blank white 8x8 greyscale PNG: structurally valid, which is all a connector can check. */
function png(): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(8, 0);
  header.writeUInt32BE(8, 4);
  header[8] = 8; // bit depth
  header[9] = 0; // greyscale
  const rows = Buffer.alloc(8 * 9, 0xff);
  for (let r = 0; r < 8; r++) rows[r * 9] = 0; // filter byte per row
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', deflateSync(rows)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

export interface InvoiceInput {
  invoiceNumber: string;
  trackingNumber: string;
  shipper: string;
  recipient: string;
  purpose: string;
  termsOfSale: string;
  lines: Array<{ description: string; harmonizedCode: string; quantity: string; value: string }>;
  total: string;
}

/** The commercial invoice FedEx prints with an international label: one US-letter PDF page. */
export function renderCommercialInvoice(invoice: InvoiceInput): Buffer {
  const rows = invoice.lines
    .slice(0, 30)
    .map((l) => `${l.description.slice(0, 40)} | HS ${l.harmonizedCode} | ${l.quantity} | ${l.value}`);
  return pdfPage(
    [
      'COMMERCIAL INVOICE (simulated FedEx document)',
      `Invoice ${invoice.invoiceNumber}   AWB ${invoice.trackingNumber}`,
      `Shipper: ${invoice.shipper}`,
      `Recipient: ${invoice.recipient}`,
      `Purpose: ${invoice.purpose}   Terms of sale: ${invoice.termsOfSale}`,
      ...rows,
      `Total customs value: ${invoice.total}`,
    ],
    { width: 612, height: 792, fontSize: 10, top: 750, lead: 16, maxChars: 110 },
  );
}

export function renderLabel(imageType: ImageType, label: LabelInput): Buffer {
  switch (imageType) {
    case 'PDF':
      return pdf(label);
    case 'ZPLII':
      return zpl(label);
    case 'EPL2':
      return epl2(label);
    case 'PNG':
      return png();
  }
}

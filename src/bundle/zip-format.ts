/**
 * The ZIP format numbers trawl's writer and reader share (PKWARE APPNOTE 6.3.x):
 * record signatures (4.3.7, 4.3.12, 4.3.9.3, 4.3.16, 4.3.14, 4.3.15), the general
 * purpose flags bundles use (4.4.4: bit 3 data descriptor, bit 11 UTF-8 names), and
 * the 32-bit field value that means "see the ZIP64 extra field" (4.4.8).
 */
export const SIG_LOCAL = 0x04034b50
export const SIG_CENTRAL = 0x02014b50
export const SIG_DESCRIPTOR = 0x08074b50
export const SIG_EOCD = 0x06054b50
export const SIG_EOCD64 = 0x06064b50
export const SIG_LOCATOR64 = 0x07064b50
export const FLAG_DESCRIPTOR = 0x0008
export const FLAG_UTF8 = 0x0800
export const MAX32 = 0xffffffff

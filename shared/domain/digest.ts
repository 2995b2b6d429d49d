/** The one SHA-256 of the code base: the lowercase hex digest of a text's UTF-8 bytes. */
import { createHash } from 'node:crypto';

export const sha256Hex = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

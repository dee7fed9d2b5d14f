import { z } from 'zod';
import { limits } from './limits.js';

// Custom fields come from an admin-chosen mapping of the brand's customer data: keep credentials
// out of events even when a mapping points at one by mistake.
const credentialName = /token|secret|password|passwd|assertion|api[-_]?key|authorization/i;

/**
 * The rule for a custom field's name, in events, in channel mappings and in agents' edits alike (a
 * channel whose mapping names a field events refuse would make every message of it flow as
 * `unavailable`): a letter, then letters, digits or underscores, at most 64, and nothing that
 * names a credential.
 *
 * @example
 * customFieldName.safeParse('tier').success; // true
 * customFieldName.safeParse('authorizationHeader').success; // false: names a credential
 */
export const customFieldName = z
  .string()
  .regex(
    new RegExp(`^[A-Za-z][A-Za-z0-9_]{0,${limits.customFieldNameMaxLength - 1}}$`),
    `a letter, then letters, digits or underscores; at most ${limits.customFieldNameMaxLength}`,
  )
  .refine((name) => !credentialName.test(name), 'names a credential; tokens never go into events');

// No imports: the browser SDK (sdks/web) loads this module as it is.

/**
 * Sizes Parley holds every producer and reader to (characters are UTF-16 code units, as
 * `String.length` counts). Request bodies are bounded by ingress's `BODY_LIMIT_BYTES` instead.
 */
export const limits = {
  /** A message's text ("Text Parley accepts" in the README). */
  textMaxLength: 4000,
  /** Any id in an event; the rules in `identifiers` are narrower. */
  idMaxLength: 128,
  /** Custom fields of one customer, from the brand's mapping or edited by agents. */
  customFieldCount: 50,
  /** A custom field's name. */
  customFieldNameMaxLength: 64,
  /** A custom field's text value in events and in agents' edits. */
  customFieldValueMaxLength: 2000,
  /** A customer's or an author's display name. */
  nameMaxLength: 256,
  /** Messages of one sync page: `limit` when the client names none, and the most it may ask for. */
  syncPageSize: { default: 50, max: 200 },
  /** Items of one page of an admin list (a webhook's delivery log): when the admin names none, and the most. */
  listPageDefaultSize: 50,
  listPageMaxSize: 200,
} as const;

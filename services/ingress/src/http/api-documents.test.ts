import { streamCloseCodes } from '@parley/contracts';
import { describe, expect, it } from 'vitest';
import { asyncApiDocument } from './asyncapi.js';
import { openApiDocument } from './openapi.js';

/** Every `$ref` in a document, with where it points. */
function refs(value: unknown, found: string[] = []): string[] {
  if (Array.isArray(value)) for (const item of value) refs(item, found);
  else if (typeof value === 'object' && value !== null)
    for (const [key, item] of Object.entries(value)) {
      if (key === '$ref' && typeof item === 'string') found.push(item);
      else refs(item, found);
    }
  return found;
}

function resolve(document: object, ref: string): unknown {
  return ref
    .replace(/^#\//, '')
    .split('/')
    .map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'))
    .reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part], document);
}

describe('the generated API documents', () => {
  it('resolve every $ref they hold', () => {
    for (const document of [openApiDocument, asyncApiDocument])
      for (const ref of refs(document)) expect(resolve(document, ref), ref).toBeDefined();
  });

  it('document every error status with the codes of the registry', () => {
    const error401 = openApiDocument.components.responses.Error401 as { description: string };
    for (const code of ['unauthenticated', 'reauthentication_required', 'api_key_expired', 'api_key_revoked'])
      expect(error401.description).toContain(`\`${code}\``);
  });

  it('describe every stream close code in the AsyncAPI document', () => {
    const listed = asyncApiDocument.channels.stream['x-close-codes'].map(({ code }) => code);
    expect(listed.sort()).toEqual(Object.values(streamCloseCodes).sort());
  });
});

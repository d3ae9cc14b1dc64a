import openapiTS, { astToString, COMMENT_HEADER } from 'openapi-typescript';
import { describe, expect, it } from 'vitest';

import schemaDocument from '../../openapi.json?raw';
import generated from './schema.gen.ts?raw';

// The server's side of the chain (server/tests/test_openapi.py) checks that client/openapi.json is
// the document the server serves; this side checks that schema.gen.ts was generated from it.
describe('schema.gen.ts', () => {
  it('is what openapi-typescript makes of client/openapi.json (else run `make client-types`)', async () => {
    const document = JSON.parse(schemaDocument) as Parameters<typeof openapiTS>[0];
    const expected = COMMENT_HEADER + astToString(await openapiTS(document));
    expect(generated === expected, 'src/api/schema.gen.ts is stale: run `make client-types`').toBe(true);
  });
});

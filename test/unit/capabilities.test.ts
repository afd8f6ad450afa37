import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mappingProblem } from '../../connectors/capabilities';
import type { ErpCapabilities } from '../../connectors/ports';

const ALL: ErpCapabilities = { warehouse: true, stock: true, stockWriteBack: true, shipToChanges: true };
const LABEL_ONLY: ErpCapabilities = { ...ALL, warehouse: false };

describe('mappings against ERP capabilities', () => {
  it('accepts label and warehouse mappings of an ERP that can serve both', () => {
    assert.equal(
      mappingProblem(
        [
          { erp: 'plex-a', carrier: 'fedex-a', mode: 'label' },
          { erp: 'plex-b', carrier: 'ss-a', mode: 'warehouse' },
        ],
        () => ALL,
      ),
      undefined,
    );
  });

  it('refuses a warehouse mapping of an ERP that cannot serve one, in one line naming both', () => {
    const problem = mappingProblem(
      [
        { erp: 'erp-a', carrier: 'fedex-a', mode: 'label' },
        { erp: 'erp-b', carrier: 'ss-a', mode: 'warehouse' },
      ],
      (name) => (name === 'erp-b' ? LABEL_ONLY : ALL),
    );
    assert.ok(problem);
    assert.match(problem, /^mapping erp-b -> ss-a: /);
    assert.doesNotMatch(problem, /\n/);
  });

  it('lets a label-only ERP ship with a label carrier', () => {
    assert.equal(
      mappingProblem([{ erp: 'x', carrier: 'fedex', mode: 'label' }], () => LABEL_ONLY),
      undefined,
    );
  });
});

import { defineSearchAttributeKey } from '@temporalio/common';

// Custom search attributes that make order runs findable in the Temporal Web UI and CLI, e.g.
//   temporal workflow list --query 'MlcErpOrderNumber="SO-1001"'
// Registered on the dev server at start and by the production setup job (docker-compose.yml).

export const SA_CONNECTION = defineSearchAttributeKey('MlcConnection', 'KEYWORD');
export const SA_ERP_ORDER_NUMBER = defineSearchAttributeKey('MlcErpOrderNumber', 'KEYWORD');
export const SA_CARRIER = defineSearchAttributeKey('MlcCarrier', 'KEYWORD');
export const SA_TRACKING_NUMBER = defineSearchAttributeKey('MlcTrackingNumber', 'KEYWORD');
export const SA_STATUS = defineSearchAttributeKey('MlcStatus', 'KEYWORD');

export const CUSTOM_SEARCH_ATTRIBUTES = [
  SA_CONNECTION,
  SA_ERP_ORDER_NUMBER,
  SA_CARRIER,
  SA_TRACKING_NUMBER,
  SA_STATUS,
] as const;

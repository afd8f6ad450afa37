import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import type { Logger } from 'pino';

const PINO_LEVEL: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

let installed: { metricsAddress?: string } | undefined;

/**
 * Route Temporal's own logs (SDK and Core) into pino, and expose the worker's metrics in Prometheus
 * format on 127.0.0.1:<metricsPort> (the HTTP server's /metrics merges them in). The SDK allows one
 * install per process, before any connection or worker is created.
 */
export function installTemporalRuntime(
  log: Logger,
  opts: { metricsPort?: number } = {},
): { metricsAddress?: string } {
  if (installed) return installed;
  const temporalLog = log.child({ component: 'temporal' });
  const sdkLogger = new DefaultLogger('INFO', (entry) => {
    // The SDK puts workflowId/runId/activityId in meta for lines about a workflow or activity.
    temporalLog[PINO_LEVEL[entry.level]]({ ...entry.meta }, entry.message);
  });
  const metricsAddress = opts.metricsPort ? `127.0.0.1:${opts.metricsPort}` : undefined;
  Runtime.install({
    logger: sdkLogger,
    telemetryOptions: {
      logging: { filter: { core: 'WARN', other: 'ERROR' }, forward: {} },
      ...(metricsAddress ? { metrics: { prometheus: { bindAddress: metricsAddress } } } : {}),
    },
    // The app handles SIGINT/SIGTERM itself so it can stop the worker, HTTP server and dev server in order.
    shutdownSignals: [],
  });
  installed = { metricsAddress };
  return installed;
}

import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

/** Keys whose values never reach a log line, wherever they are nested. */
const SECRET_KEY = /authorization|secret|token|password|api[-_]?key|^value$|cookie/i;

/**
 * JSON replacer for every log line: drops values under secret-looking keys. Handlers also never
 * log bodies or headers on purpose; this is the net under that rule.
 */
export const redactSecrets = (key: string, value: unknown): unknown =>
  key !== '' && SECRET_KEY.test(key) && value !== null && value !== undefined ? '[redacted]' : value;

/** A Powertools logger for one function, with secret redaction. */
export const createLogger = (serviceName: string): Logger =>
  new Logger({ serviceName, jsonReplacerFn: redactSecrets });

/** Powertools metrics under the `taskenv` namespace. */
export const createMetrics = (serviceName: string): Metrics =>
  new Metrics({ namespace: 'taskenv', serviceName });

/**
 * Middy middleware that flushes the invocation's metrics (EMF to stdout) after it ends, ok or
 * not. Unlike Powertools' `logMetrics`, it stays silent when there is nothing to flush: most
 * local requests and reconciler ticks record no metric, and `logMetrics` warns "No application
 * metrics to publish" on each of them.
 */
export const publishMetrics = (metrics: Metrics): { after: () => void; onError: () => void } => {
  const flush = (): void => {
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  };
  return { after: flush, onError: flush };
};

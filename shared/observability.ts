import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

/** Keys whose values never reach a log line, wherever they are nested. */
const SECRET_KEY = /authorization|secret|token|password|api[-_]?key|^value$|cookie/i;

/**
 * JSON replacer for every log line: drops values under secret-looking keys. Handlers also never
 * log bodies or headers on purpose; this is the net under that rule.
 */
const redactSecrets = (key: string, value: unknown): unknown =>
  key !== '' && SECRET_KEY.test(key) && value !== null && value !== undefined ? '[redacted]' : value;

export type LogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

/**
 * What a host that is not Lambda (the local stack) sets explicitly rather than through
 * `POWERTOOLS_*` variables. Absent fields: the variables decide, as on Lambda.
 */
export interface ObservabilityOptions {
  readonly logLevel?: LogLevel;
  /** False: metrics are recorded and dropped (no CloudWatch reads EMF there). */
  readonly metrics?: boolean;
}

/** A Powertools logger for one function, with secret redaction. */
export const createLogger = (serviceName: string, options: ObservabilityOptions = {}): Logger =>
  new Logger({
    serviceName,
    jsonReplacerFn: redactSecrets,
    ...(options.logLevel === undefined ? {} : { logLevel: options.logLevel }),
  });

/** Metrics that are kept until a flush and then dropped, never written (not even an empty-flush warning). */
class DroppedMetrics extends Metrics {
  override publishStoredMetrics(): this {
    this.clearMetrics();
    this.clearDimensions();
    this.clearMetadata();
    return this;
  }
}

/** Powertools metrics under the `taskenv` namespace. */
export const createMetrics = (serviceName: string, options: ObservabilityOptions = {}): Metrics =>
  options.metrics === false
    ? new DroppedMetrics({ namespace: 'taskenv', serviceName })
    : new Metrics({ namespace: 'taskenv', serviceName });

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

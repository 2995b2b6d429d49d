/** `stoppedReason` prefix of every stop taskenv asks for; a STOPPED event after one is ours. */
export const STOP_REASON_PREFIX = 'taskenv:';

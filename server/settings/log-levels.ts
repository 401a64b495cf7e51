/** The log levels NITRO_LOG_LEVEL accepts (pino's), from the most severe to the most verbose. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]

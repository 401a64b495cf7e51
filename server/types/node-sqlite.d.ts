// The part of node:sqlite (Node 22.13+, 24) the embedded store uses. @types/node follows the
// oldest Node this project runs on (20), which has no such module: the store loads it only where
// it exists (server/store/sqlite-driver.ts).
declare module 'node:sqlite' {
  type SqlValue = null | number | bigint | string | Uint8Array
  export class StatementSync {
    run(...parameters: SqlValue[]): { changes: number | bigint; lastInsertRowid: number | bigint }
    get(...parameters: SqlValue[]): unknown
    all(...parameters: SqlValue[]): unknown[]
  }
  export class DatabaseSync {
    constructor(path: string, options?: { open?: boolean; readOnly?: boolean })
    exec(sql: string): void
    prepare(sql: string): StatementSync
    close(): void
  }
}

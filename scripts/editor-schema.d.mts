export declare const WHOLE_VAR_PATTERN: string;
export declare const HAS_VAR_PATTERN: string;
/** The editor schema for a manifest schema (a plain JSON value; the input is not changed). */
export declare function toEditorSchema(schema: Record<string, unknown>): Record<string, unknown>;

/** The JSON `/v1/retention` answers, documented in /openapi.json (the schema lives with the input's). */
export { retentionJsonSchema } from "./retention.schema";

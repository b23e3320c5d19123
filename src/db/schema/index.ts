export * from "./tenancy";
export * from "./messaging";
export * from "./webhooks";
export * from "./automation";
export * from "./system";
export * from "./ai";
export * from "./media";
export * from "./transcription";

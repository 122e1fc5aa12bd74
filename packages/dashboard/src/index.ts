/** @insights/dashboard: the mesh-wide web dashboard. */
export { startDashboard } from './server.ts';
export type { RunningDashboard, StartDashboardOptions } from './server.ts';
export {
  parseDashboardConfig,
  loadDashboardConfigFile,
  dashboardConfigSchema,
  DEFAULT_PORT,
  DEFAULT_CALL_TIMEOUT_MS,
  DEFAULT_SESSION_TTL_SECONDS,
  DEFAULT_EMBED_TTL_SECONDS,
} from './config.ts';
export type { DashboardConfig, DashboardConfigInput } from './config.ts';
export { hashPassword, verifyPassword } from './passwords.ts';
export { EmbedSigner } from './embed.ts';
export type { EmbedGrant } from './embed.ts';
export { mintEmbedUrl } from './embed-url.ts';
export type { EmbedUrlRequest } from './embed-url.ts';
export { usersFileSchema } from './users.ts';
export type { Principal } from './principal.ts';
export { CHOICES_KEY } from './choices.ts';

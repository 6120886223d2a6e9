/** gateway: the HTTP API role (`cogo gateway`). Wiring only: routes call the subsystems' faces. */

export { type RunningGateway, type StartGatewayOptions, startGateway } from '../http/index.ts';
export {
  type ApiResponse,
  createGatewayApp,
  GATEWAY_ERROR_CODES,
  type GatewayAppOptions,
  type GatewayErrorCode,
  SearchCodeQuerySchema,
} from './app.ts';
export { CreateSessionSchema, FeedbackSchema, PostMessageSchema } from './routes/chat.ts';

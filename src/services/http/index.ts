/** http: what every role serves (health, metrics) and how an app is put on a socket. Wiring only. */
export { createRoleApp, type RoleAppOptions } from './role-app.ts';
export { type RunningGateway, type StartGatewayOptions, startGateway } from './serve.ts';

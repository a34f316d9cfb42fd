/** `@kmm/backtest/paper`: the simulated venue as an order gateway (see core/venue-gateway.ts). */
export { PaperVenueGateway, createPaperGateway, type PaperGatewayOptions } from '../core/venue-gateway.js';

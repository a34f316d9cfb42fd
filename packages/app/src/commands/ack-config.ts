/**
 * `kmm ack-config`: the operator's acknowledgement of the risk-limit raises a live config reload
 * holds back (system/config-reload.ts), sent to a running system through its dashboard control
 * endpoint (token from RUN_DIR/dashboard.json), as `kmm ack-breach` does.
 */
import { sendControl } from './ack-breach.js';

export async function ackConfig(opts: { run?: string }): Promise<string> {
  return sendControl(opts.run, { kind: 'ack_config' }, 'config acknowledgement');
}

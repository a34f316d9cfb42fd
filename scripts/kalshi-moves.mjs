#!/usr/bin/env node
/**
 * The price-move figures behind the `kalshi` profile's bps values (CONFIG_PROFILES in
 * packages/shared/src/config/specs.ts): consecutive trade prints of each market in the real NCAA
 * playoff-futures recording (../shared/data/kalshi-trades-kxncaafplayoff-2025, MIT), the size of
 * every price change in ticks (cents) and in bps of the mid, and the share of price variance
 * carried by moves of 5c or more.
 * Usage: node scripts/kalshi-moves.mjs [NCAA_trade25.csv]
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const file = process.argv[2] ?? `${here}../../shared/data/kalshi-trades-kxncaafplayoff-2025/NCAA_trade25.csv`;
const lines = readFileSync(file, 'utf8').trim().split('\n');
const header = lines[0].split(',').map((h) => h.replace(/"/g, ''));
const col = (name) => {
  const i = header.indexOf(name);
  if (i < 0) throw new Error(`${file}: no column '${name}' in the header (${header.join(', ')})`);
  return i;
};
const [tickerCol, tsCol, priceCol] = [col('ticker_name'), col('create_ts'), col('price')];

const prints = new Map(); // ticker -> [{ atMs, priceCents }]
for (const line of lines.slice(1)) {
  const f = line.split(',').map((x) => x.replace(/"/g, ''));
  const list = prints.get(f[tickerCol]) ?? [];
  list.push({ atMs: Date.parse(f[tsCol]), priceCents: Number(f[priceCol]) });
  prints.set(f[tickerCol], list);
}
const movesTicks = [];
const movesBps = [];
for (const list of prints.values()) {
  list.sort((a, b) => a.atMs - b.atMs); // the file is in reverse time order within a day
  for (let i = 1; i < list.length; i++) {
    const d = Math.abs(list[i].priceCents - list[i - 1].priceCents);
    if (d === 0) continue;
    movesTicks.push(d);
    movesBps.push((d / ((list[i].priceCents + list[i - 1].priceCents) / 2)) * 1e4);
  }
}
const quantiles = [0.1, 0.5, 0.75, 0.9, 0.95, 0.99];
const at = (xs, q) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];
const variance = movesTicks.reduce((s, d) => s + d * d, 0);
const bigVariance = movesTicks.filter((d) => d >= 5).reduce((s, d) => s + d * d, 0);
console.log(`markets ${prints.size}, price moves ${movesTicks.length}`);
console.log(`quantiles           ${quantiles.map((q) => `p${q * 100}`).join(' ')}`);
console.log(`move, ticks         ${quantiles.map((q) => at(movesTicks, q)).join(' ')}`);
console.log(`move, bps of mid    ${quantiles.map((q) => at(movesBps, q).toFixed(0)).join(' ')}`);
console.log(`one-tick moves      ${((movesTicks.filter((d) => d === 1).length / movesTicks.length) * 100).toFixed(0)} %`);
console.log(`variance from >=5c  ${((bigVariance / variance) * 100).toFixed(0)} %`);

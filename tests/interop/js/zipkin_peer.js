// The OpenTelemetry JS SDK with @opentelemetry/exporter-zipkin (Zipkin v2 JSON) to URL;
// zipkin_crosscheck.py compares its spans with litetrace's.
//
//   node zipkin_peer.js SCENARIO.json URL

'use strict';

const fs = require('fs');
const { ZipkinExporter } = require('@opentelemetry/exporter-zipkin');
const { record } = require('./scenario');

const [scenarioPath, url] = process.argv.slice(2);
if (!scenarioPath || !url) {
  console.error('usage: node zipkin_peer.js SCENARIO.json URL');
  process.exit(2);
}
const scenario = JSON.parse(fs.readFileSync(scenarioPath, 'utf8'));
record(scenario, new ZipkinExporter({ url })).then(
  () => process.exit(0),
  (err) => {
    console.error('export failed:', err);
    process.exit(1);
  },
);

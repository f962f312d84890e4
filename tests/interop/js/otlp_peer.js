// The OpenTelemetry JS SDK with @opentelemetry/exporter-trace-otlp-proto (OTLP/HTTP,
// protobuf) to URL; otlp_crosscheck.py compares its spans with litetrace's.
//
//   node otlp_peer.js SCENARIO.json URL

'use strict';

const fs = require('fs');
const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-proto');
const { record } = require('./scenario');

const [scenarioPath, url] = process.argv.slice(2);
if (!scenarioPath || !url) {
  console.error('usage: node otlp_peer.js SCENARIO.json URL');
  process.exit(2);
}
const scenario = JSON.parse(fs.readFileSync(scenarioPath, 'utf8'));
record(scenario, new OTLPTraceExporter({ url })).then(
  () => process.exit(0),
  (err) => {
    console.error('export failed:', err);
    process.exit(1);
  },
);

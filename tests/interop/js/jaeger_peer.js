// The OpenTelemetry JS SDK with @opentelemetry/exporter-jaeger (binary Thrift over UDP,
// through jaeger-client) to 127.0.0.1:PORT; jaeger_crosscheck.py compares its spans with
// litetrace's.
//
//   node jaeger_peer.js SCENARIO.json PORT

'use strict';

const fs = require('fs');
const { JaegerExporter } = require('@opentelemetry/exporter-jaeger');
const { record } = require('./scenario');

const [scenarioPath, port] = process.argv.slice(2);
if (!scenarioPath || !port) {
  console.error('usage: node jaeger_peer.js SCENARIO.json PORT');
  process.exit(2);
}
const scenario = JSON.parse(fs.readFileSync(scenarioPath, 'utf8'));
record(scenario, new JaegerExporter({ host: '127.0.0.1', port: Number(port) })).then(
  () => process.exit(0),
  (err) => {
    console.error('export failed:', err);
    process.exit(1);
  },
);

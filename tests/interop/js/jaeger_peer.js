// Records the spans of a cross-check scenario with the OpenTelemetry JS SDK and sends them
// with @opentelemetry/exporter-jaeger (binary Thrift over UDP, through jaeger-client) to
// 127.0.0.1:PORT; jaeger_crosscheck.py compares them with litetrace's.
//
//   node jaeger_peer.js SCENARIO.json PORT

'use strict';

const fs = require('fs');
const api = require('@opentelemetry/api');
const {
  TracerProvider, SimpleSpanProcessor, ParentBasedSampler, AlwaysOnSampler,
} = require('@opentelemetry/sdk-trace');
const { resourceFromAttributes } = require('@opentelemetry/resources');
const { JaegerExporter } = require('@opentelemetry/exporter-jaeger');

const [scenarioPath, port] = process.argv.slice(2);
if (!scenarioPath || !port) {
  console.error('usage: node jaeger_peer.js SCENARIO.json PORT');
  process.exit(2);
}
const scenario = JSON.parse(fs.readFileSync(scenarioPath, 'utf8'));

// Unix nanoseconds (a decimal string) as the SDK's [seconds, nanoseconds].
function hrTime(ns) {
  const n = BigInt(ns);
  return [Number(n / 1000000000n), Number(n % 1000000000n)];
}

function attributes(list) {
  const out = {};
  for (const [key, type, value] of list || []) {
    out[key] = type === 'int' ? Number(BigInt(value)) : value;
  }
  return out;
}

const kinds = {
  internal: api.SpanKind.INTERNAL,
  server: api.SpanKind.SERVER,
  client: api.SpanKind.CLIENT,
  producer: api.SpanKind.PRODUCER,
  consumer: api.SpanKind.CONSUMER,
};
const statuses = { unset: api.SpanStatusCode.UNSET, ok: api.SpanStatusCode.OK, error: api.SpanStatusCode.ERROR };

const exporter = new JaegerExporter({ host: '127.0.0.1', port: Number(port) });
const provider = new TracerProvider({
  resource: resourceFromAttributes({ 'service.name': scenario.service, ...scenario.resource }),
  spanLimits: {
    attributeCountLimit: scenario.limits.attributes,
    eventCountLimit: scenario.limits.events,
    linkCountLimit: scenario.limits.links,
    attributePerEventCountLimit: scenario.limits.attributes_per_event,
  },
  sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }),  // the default, said
  spanProcessors: [new SimpleSpanProcessor({ exporter })],
});
const tracer = provider.getTracer(scenario.scope.name, scenario.scope.version);

const started = new Map();
for (const s of scenario.spans) {
  const parent = s.parent ? api.trace.setSpan(api.ROOT_CONTEXT, started.get(s.parent)) : api.ROOT_CONTEXT;
  const span = tracer.startSpan(
    s.name,
    {
      kind: kinds[s.kind],
      startTime: hrTime(s.start),
      attributes: attributes(s.attributes),
      links: (s.links || []).map((name) => ({ context: started.get(name).spanContext() })),
    },
    parent,
  );
  for (const e of s.events || []) span.addEvent(e.name, attributes(e.attributes), hrTime(e.time));
  if (s.status) span.setStatus({ code: statuses[s.status[0]], message: s.status[1] || undefined });
  started.set(s.name, span);
}
for (const s of [...scenario.spans].reverse()) started.get(s.name).end(hrTime(s.end));

provider.forceFlush()
  .then(() => provider.shutdown())
  .then(() => process.exit(0), (err) => {
    console.error('export failed:', err);
    process.exit(1);
  });

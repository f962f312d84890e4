// Records the spans of a cross-check scenario (../*_scenario.json) with the OpenTelemetry JS
// SDK and hands them to `exporter`; the peers (jaeger_peer.js, otlp_peer.js) choose the
// exporter. Resolves once everything is exported and the provider is shut down.

'use strict';

const api = require('@opentelemetry/api');
const {
  TracerProvider, SimpleSpanProcessor, ParentBasedSampler, AlwaysOnSampler,
} = require('@opentelemetry/sdk-trace');
const { resourceFromAttributes } = require('@opentelemetry/resources');

// Unix nanoseconds (a decimal string) as the SDK's [seconds, nanoseconds].
function hrTime(ns) {
  const n = BigInt(ns);
  return [Number(n / 1000000000n), Number(n % 1000000000n)];
}

// Integers are decimal strings in the scenario (exact beyond 2^53); JS numbers hold them.
function attributes(list) {
  const out = {};
  for (const [key, type, value] of list || []) {
    if (type === 'int') out[key] = Number(BigInt(value));
    else if (type === 'int[]') out[key] = value.map((v) => Number(BigInt(v)));
    else out[key] = value;
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

async function record(scenario, exporter) {
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
  await provider.forceFlush();
  await provider.shutdown();
}

module.exports = { record };

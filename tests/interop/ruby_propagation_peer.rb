# A real Jaeger client (Debian's ruby-jaeger-client) on one side of a propagated call.
#
#   ruby ruby_propagation_peer.rb inject FORMAT PORT   starts span "ruby-client", prints the
#                                                      headers it injects ("name: value" lines)
#   ruby ruby_propagation_peer.rb extract FORMAT PORT  reads such lines on stdin, starts span
#                                                      "ruby-server" as the extracted context's child
#
# FORMAT: jaeger (uber-trace-id), b3multi (x-b3-*), tracecontext (traceparent). Spans go to
# 127.0.0.1:PORT over UDP (compact Thrift, emitBatch).
require 'jaeger/client'

mode, format, port = ARGV
logger = Logger.new($stderr)
encoder = Jaeger::Encoders::ThriftEncoder.new(service_name: 'ruby-peer', tags: {}, logger: logger)
sender = Jaeger::UdpSender.new(host: '127.0.0.1', port: Integer(port), encoder: encoder, logger: logger)
reporter = Jaeger::Reporters::RemoteReporter.new(sender: sender, flush_interval: 3600)
tracer = Jaeger::Client.build(service_name: 'ruby-peer', reporter: reporter, logger: logger)

case mode
when 'inject'
  span = tracer.start_span('ruby-client', tags: { 'span.kind' => 'client' })
  carrier = {}
  case format
  when 'jaeger' then Jaeger::Injectors::JaegerTextMapCodec.inject(span.context, carrier)
  when 'b3multi' then Jaeger::Injectors::B3RackCodec.inject(span.context, carrier)
  when 'tracecontext' then Jaeger::Injectors::TraceContextRackCodec.inject(span.context, carrier)
  else abort "unknown format #{format}"
  end
  carrier.each { |name, value| puts "#{name}: #{value}" }
  span.finish
when 'extract'
  headers = {}
  $stdin.each_line do |line|
    name, value = line.chomp.split(': ', 2)
    headers[name] = value if value
  end
  # The Rack codecs read CGI-style names: HTTP_X_B3_TRACEID for x-b3-traceid.
  rack = headers.to_h { |name, value| ["HTTP_#{name.upcase.tr('-', '_')}", value] }
  context =
    case format
    when 'jaeger' then Jaeger::Extractors::JaegerTextMapCodec.extract(headers)
    when 'b3multi' then Jaeger::Extractors::B3TextMapCodec.extract(headers)
    when 'tracecontext' then Jaeger::Extractors::TraceContextRackCodec.extract(rack)
    else abort "unknown format #{format}"
    end
  abort "ruby could not extract a context from #{headers.inspect}" unless context
  span = tracer.start_span('ruby-server', child_of: context, tags: { 'span.kind' => 'server' })
  span.finish
else
  abort "usage: ruby_propagation_peer.rb inject|extract FORMAT PORT"
end
reporter.flush
sleep 0.2

# Emits a parent and a child span with Debian's ruby-jaeger-client (a real Jaeger client
# using Apache Thrift's compact protocol) to 127.0.0.1:PORT, then flushes.
require 'jaeger/client'

port = Integer(ARGV.fetch(0))
logger = Logger.new($stderr)
encoder = Jaeger::Encoders::ThriftEncoder.new(service_name: 'ruby-peer', tags: { 'peer.lang' => 'ruby' },
                                              logger: logger)
sender = Jaeger::UdpSender.new(host: '127.0.0.1', port: port, encoder: encoder, logger: logger)
reporter = Jaeger::Reporters::RemoteReporter.new(sender: sender, flush_interval: 3600)
tracer = Jaeger::Client.build(service_name: 'ruby-peer', reporter: reporter, logger: logger)

parent = tracer.start_span('ruby-parent', tags: { 'answer' => 42, 'ratio' => 0.5, 'ok' => true, 'word' => 'hi' })
child = tracer.start_span('ruby-child', child_of: parent)
child.log_kv(event: 'hello', note: 'from ruby')
child.finish
parent.finish
reporter.flush
sleep 0.2

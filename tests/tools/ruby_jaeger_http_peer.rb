# Emits a parent and a child span with Debian's ruby-jaeger-client through its HttpSender
# (binary Thrift, POSTed as a collector takes it) to URL, then flushes.
require 'jaeger/client'

url = ARGV.fetch(0)
logger = Logger.new($stderr)
encoder = Jaeger::Encoders::ThriftEncoder.new(service_name: 'ruby-http-peer', tags: { 'peer.lang' => 'ruby' },
                                              logger: logger)
sender = Jaeger::HttpSender.new(url: url, encoder: encoder, logger: logger)
reporter = Jaeger::Reporters::RemoteReporter.new(sender: sender, flush_interval: 3600)
tracer = Jaeger::Client.build(service_name: 'ruby-http-peer', reporter: reporter, logger: logger)

parent = tracer.start_span('ruby-parent', tags: { 'answer' => 42, 'ratio' => 0.5, 'ok' => true, 'word' => 'hi' })
child = tracer.start_span('ruby-child', child_of: parent)
child.log_kv(event: 'hello', note: 'from ruby')
child.finish
parent.finish
reporter.flush

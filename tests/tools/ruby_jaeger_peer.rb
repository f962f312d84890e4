# Emits a parent and a child span with Debian's ruby-jaeger-client (a real Jaeger client)
# and flushes: to the agent on 127.0.0.1:PORT with its UdpSender (compact Thrift), or, given
# a URL, to a collector with its HttpSender (binary Thrift, POSTed as application/x-thrift).
#
#   ruby ruby_jaeger_peer.rb PORT
#   ruby ruby_jaeger_peer.rb http://HOST:PORT/api/traces
require 'jaeger/client'

target = ARGV.fetch(0)
http = target.start_with?('http://')
service = http ? 'ruby-http-peer' : 'ruby-peer'
logger = Logger.new($stderr)
encoder = Jaeger::Encoders::ThriftEncoder.new(service_name: service, tags: { 'peer.lang' => 'ruby' },
                                              logger: logger)
sender = if http
           Jaeger::HttpSender.new(url: target, encoder: encoder, logger: logger)
         else
           Jaeger::UdpSender.new(host: '127.0.0.1', port: Integer(target), encoder: encoder, logger: logger)
         end
reporter = Jaeger::Reporters::RemoteReporter.new(sender: sender, flush_interval: 3600)
tracer = Jaeger::Client.build(service_name: service, reporter: reporter, logger: logger)

parent = tracer.start_span('ruby-parent', tags: { 'answer' => 42, 'ratio' => 0.5, 'ok' => true, 'word' => 'hi' })
child = tracer.start_span('ruby-child', child_of: parent)
child.log_kv(event: 'hello', note: 'from ruby')
child.finish
parent.finish
reporter.flush
sleep 0.2 unless http  # the HttpSender has its answer; a datagram is given time to leave
